package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class TaskSplitsTest {

    private static List<Integer> responses(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void atMostKPerTaskAsEvenAsPossible() {
        assertThat(TaskSplits.split(responses(4), 4)).containsExactly(List.of(0, 1, 2, 3));
        assertThat(TaskSplits.split(responses(5), 4)).containsExactly(List.of(0, 1, 2), List.of(3, 4));
        assertThat(TaskSplits.split(responses(9), 4)).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8));
        assertThat(TaskSplits.split(responses(2), 9)).containsExactly(List.of(0, 1));
    }

    @Test
    void everyTaskHasTwoResponsesEvenWithKTwoAndAnOddCount() {
        assertThat(TaskSplits.split(responses(3), 2)).containsExactly(List.of(0, 1), List.of(1, 2));
        for (int k = 2; k <= 16; k++) {
            for (int n = 2; n <= 40; n++) {
                List<List<Integer>> tasks = TaskSplits.split(responses(n), k);
                int max = k;
                assertThat(tasks).allSatisfy(task -> assertThat(task.size()).isBetween(2, max));
                assertThat(tasks.stream().flatMap(List::stream).distinct().count()).isEqualTo(n);
            }
        }
    }
}
