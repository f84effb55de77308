package dev.rlhf.trainer.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DataCursorTest {

    private static final List<Integer> TEN = IntStream.range(0, 10).boxed().toList();

    @Test
    void batchesCoverEachEpochOnceAndTheLastBatchOfAnEpochIsShort() {
        DataCursor<Integer> cursor = new DataCursor<>(TEN, new Seeds(5).supervisedOrder());
        List<Integer> epoch = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < cursor.batchesPerEpoch(4); i++) {
            List<Integer> batch = cursor.nextBatch(4);
            sizes.add(batch.size());
            epoch.addAll(batch);
        }
        assertThat(sizes).containsExactly(4, 4, 2);
        assertThat(epoch).containsExactlyInAnyOrderElementsOf(TEN).isNotEqualTo(TEN);
        assertThat(cursor.epochProgress()).isEqualTo(1.0);
        List<Integer> nextEpoch = cursor.nextBatch(10);
        assertThat(nextEpoch).containsExactlyInAnyOrderElementsOf(TEN).isNotEqualTo(epoch);
    }

    @Test
    void nextCrossesIntoTheNextEpoch() {
        DataCursor<Integer> cursor = new DataCursor<>(TEN, new Seeds(5).order(Seeds.Purpose.PROMPT_ORDER));
        cursor.next(8);
        List<Integer> crossing = cursor.next(4);
        assertThat(crossing).hasSize(4);
        assertThat(cursor.position()).isEqualTo(new DataCursor.Position(1, 2));
    }

    @Test
    void aCursorMovedToASavedPositionReadsWhatTheOriginalReadsNext() {
        DataCursor<Integer> original = new DataCursor<>(TEN, new Seeds(9).order(Seeds.Purpose.PTX_ORDER));
        original.next(13);
        DataCursor<Integer> resumed = new DataCursor<>(TEN, new Seeds(9).order(Seeds.Purpose.PTX_ORDER));
        resumed.moveTo(original.position());
        assertThat(resumed.next(25)).isEqualTo(original.next(25));
    }

    @Test
    void theOrderIsAFunctionOfTheSeed() {
        List<Integer> a = new DataCursor<>(TEN, new Seeds(1).supervisedOrder()).nextBatch(10);
        List<Integer> b = new DataCursor<>(TEN, new Seeds(2).supervisedOrder()).nextBatch(10);
        assertThat(new DataCursor<>(TEN, new Seeds(1).supervisedOrder()).nextBatch(10)).isEqualTo(a);
        assertThat(b).isNotEqualTo(a);
        assertThat(new HashSet<>(b)).isEqualTo(new HashSet<>(a));
    }

    @Test
    void anEmptyDataSetIsRefused() {
        assertThatThrownBy(() -> new DataCursor<>(List.of(), new Seeds(1).supervisedOrder()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
