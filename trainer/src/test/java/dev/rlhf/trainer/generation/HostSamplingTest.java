package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Hand-checked numbers for the host reference of each sampling transformation. */
class HostSamplingTest {

    @Test
    void topKKeepsExactlyTheKBest() {
        float[] logits = {1f, 5f, 3f, 4f, 2f};
        HostSampling.keepTopK(logits, 2);
        assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 5f, Float.NEGATIVE_INFINITY, 4f,
                Float.NEGATIVE_INFINITY);
    }

    @Test
    void topPKeepsTheSmallestSetWithEnoughMass() {
        // probabilities 0.5, 0.3, 0.15, 0.05
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        float[] p70 = logits.clone();
        HostSampling.keepTopP(p70, 0.7f);
        assertThat(p70[0]).isFinite();
        assertThat(p70[1]).isFinite();
        assertThat(p70[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(p70[3]).isEqualTo(Float.NEGATIVE_INFINITY);

        float[] p40 = logits.clone();
        HostSampling.keepTopP(p40, 0.4f);
        assertThat(p40[0]).isFinite();
        assertThat(p40[1]).isEqualTo(Float.NEGATIVE_INFINITY);

        float[] p96 = logits.clone();
        HostSampling.keepTopP(p96, 0.96f);
        assertThat(p96).doesNotContain(Float.NEGATIVE_INFINITY);
    }

    @Test
    void temperatureDividesLogits() {
        float[] logits = {2f, -1f};
        HostSampling.applyTemperature(logits, 0.5f);
        assertThat(logits).containsExactly(4f, -2f);
    }

    @Test
    void samplingFollowsCumulativeMass() {
        double[] probs = {0.2, 0.0, 0.5, 0.3};
        assertThat(HostSampling.sample(probs, 0.0)).isZero();
        assertThat(HostSampling.sample(probs, 0.19)).isZero();
        assertThat(HostSampling.sample(probs, 0.2)).isEqualTo(2);
        assertThat(HostSampling.sample(probs, 0.69)).isEqualTo(2);
        assertThat(HostSampling.sample(probs, 0.7)).isEqualTo(3);
        assertThat(HostSampling.sample(probs, 0.9999999)).isEqualTo(3);
    }
}
