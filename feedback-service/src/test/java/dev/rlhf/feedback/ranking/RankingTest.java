package dev.rlhf.feedback.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RankingTest {

    final UUID a = UUID.randomUUID(), b = UUID.randomUUID(), c = UUID.randomUUID(), d = UUID.randomUUID();

    @Test
    void orderingMustCoverExactlyTheTasksResponsesOnce() {
        Set<UUID> task = Set.of(a, b, c);
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a, c)), task)).isNull();
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a)), task)).isEqualTo("ranking is missing response " + Set.of(c));
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a, c, d)), task)).contains("not in this task");
        assertThat(Ranking.orderingProblem(List.of(List.of(b, a), List.of(a, c)), task)).contains("more than once");
        assertThat(Ranking.orderingProblem(List.of(List.of(a, b, c), List.of()), task)).isEqualTo("ranking has an empty tie group");
        assertThat(Ranking.orderingProblem(List.of(), task)).isEqualTo("ranking is empty");
    }
}
