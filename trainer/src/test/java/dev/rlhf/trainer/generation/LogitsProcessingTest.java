package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-checked numbers for each logit transformation. */
class LogitsProcessingTest {

    @Test
    void repetitionPenaltyShrinksSeenTokensTowardsLessLikely() {
        float[] logits = {2f, -2f, 1f};
        LogitsProcessing.applyRepetitionPenalty(logits, new int[] {0, 1, 1}, 2f);
        assertThat(logits).containsExactly(1f, -4f, 1f);
    }

    @Test
    void noRepeatNgramBansTheTokenThatWouldRepeatATrigram() {
        float[] logits = new float[10];
        // context ... 4 5 6 ... 4 5 -> 6 would repeat the trigram (4, 5, 6)
        LogitsProcessing.banRepeatedNgrams(logits, new int[] {1, 4, 5, 6, 7, 4, 5}, 3);
        assertThat(logits[6]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(logits[7]).isZero();
        assertThat(logits[5]).isZero();
    }

    @Test
    void penalisedEntriesAreTheContextsDistinctTokensAndTheTrigramsCompletions() {
        assertThat(LogitsProcessing.distinctTokens(new int[] {3, 1, 3, 9, 1, 600}, 512)).containsExactly(3, 1, 9);
        // 4 5 was followed by 6 and, later, by 8: both would repeat a trigram
        assertThat(LogitsProcessing.repeatedNgramCompletions(new int[] {4, 5, 6, 4, 5, 8, 4, 5}, 3)).containsExactly(6, 8);
        assertThat(LogitsProcessing.repeatedNgramCompletions(new int[] {4, 5}, 3)).isEmpty();
        assertThat(LogitsProcessing.repeatedNgramCompletions(new int[] {7, 7, 7}, 1)).containsExactly(7, 7, 7);
    }

    @Test
    void logSoftmaxIsNormalised() {
        float[] logits = {1f, 2f, 3f};
        double total = 0;
        for (double lp : LogitsProcessing.logSoftmax(logits)) {
            total += Math.exp(lp);
        }
        assertThat(total).isCloseTo(1.0, within(1e-12));
        assertThat(LogitsProcessing.logSoftmaxAt(logits, 2)).isCloseTo((float) (3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))), within(1e-6f));
    }
}
