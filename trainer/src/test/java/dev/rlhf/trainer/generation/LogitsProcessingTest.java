package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-checked numbers for each logit transformation. */
class LogitsProcessingTest {

    @Test
    void topKKeepsExactlyTheKBest() {
        float[] logits = {1f, 5f, 3f, 4f, 2f};
        LogitsProcessing.keepTopK(logits, 2);
        assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 5f, Float.NEGATIVE_INFINITY, 4f,
                Float.NEGATIVE_INFINITY);
    }

    @Test
    void topPKeepsTheSmallestSetWithEnoughMass() {
        // probabilities 0.5, 0.3, 0.15, 0.05
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        float[] p70 = logits.clone();
        LogitsProcessing.keepTopP(p70, 0.7f);
        assertThat(p70[0]).isFinite();
        assertThat(p70[1]).isFinite();
        assertThat(p70[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(p70[3]).isEqualTo(Float.NEGATIVE_INFINITY);

        float[] p40 = logits.clone();
        LogitsProcessing.keepTopP(p40, 0.4f);
        assertThat(p40[0]).isFinite();
        assertThat(p40[1]).isEqualTo(Float.NEGATIVE_INFINITY);

        float[] p96 = logits.clone();
        LogitsProcessing.keepTopP(p96, 0.96f);
        assertThat(p96).doesNotContain(Float.NEGATIVE_INFINITY);
    }

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
    void temperatureDividesLogits() {
        float[] logits = {2f, -1f};
        LogitsProcessing.applyTemperature(logits, 0.5f);
        assertThat(logits).containsExactly(4f, -2f);
    }

    @Test
    void samplingFollowsCumulativeMass() {
        double[] probs = {0.2, 0.0, 0.5, 0.3};
        assertThat(LogitsProcessing.sample(probs, 0.0)).isZero();
        assertThat(LogitsProcessing.sample(probs, 0.19)).isZero();
        assertThat(LogitsProcessing.sample(probs, 0.2)).isEqualTo(2);
        assertThat(LogitsProcessing.sample(probs, 0.69)).isEqualTo(2);
        assertThat(LogitsProcessing.sample(probs, 0.7)).isEqualTo(3);
        assertThat(LogitsProcessing.sample(probs, 0.9999999)).isEqualTo(3);
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
