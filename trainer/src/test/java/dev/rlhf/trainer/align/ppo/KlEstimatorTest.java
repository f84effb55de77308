package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KlEstimatorTest {

    /**
     * logp = (-1, -2, -0.5), logp_ref = (-2, -1, -0.5):
     * k1 = logp - logp_ref = (1, -1, 0)  (negative on the second token)
     * k3: log r = logp_ref - logp = (-1, 1, 0);
     *     (e^-1 - 1) + 1 = e^-1 = 0.3678794;  (e - 1) - 1 = 0.7182818;  (1 - 1) - 0 = 0
     */
    @Test
    void estimatorsMatchHandComputedValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logp = manager.create(new float[] {-1, -2, -0.5f});
            NDArray ref = manager.create(new float[] {-2, -1, -0.5f});
            assertThat(KlEstimator.K1.perToken(logp, ref).toFloatArray()).containsExactly(1, -1, 0);
            assertThat(KlEstimator.K3.perToken(logp, ref).toFloatArray())
                    .containsExactly(new float[] {0.3678794f, 0.7182818f, 0f}, within(1e-6f));
        }
    }

    /** k3 >= 0 for 10,000 random pairs (including nearly equal ones); k1 and k3 are exactly 0 when equal. */
    @Test
    void k3IsNeverNegativeAndBothVanishWhenEqual() {
        Random random = new Random(7);
        float[] logp = new float[10_000];
        float[] ref = new float[10_000];
        for (int i = 0; i < logp.length; i++) {
            logp[i] = (float) (-random.nextDouble() * 20);
            ref[i] = i % 2 == 0 ? (float) (-random.nextDouble() * 20) : logp[i] + (float) (random.nextGaussian() * 1e-4);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray p = manager.create(logp);
            NDArray r = manager.create(ref);
            for (float k3 : KlEstimator.K3.perToken(p, r).toFloatArray()) {
                assertThat(k3).isGreaterThanOrEqualTo(0f);
            }
            for (KlEstimator estimator : KlEstimator.values()) {
                assertThat(estimator.perToken(p, p.duplicate()).toFloatArray()).containsOnly(0f);
            }
        }
        assertThat(KlEstimator.parse("k3")).isEqualTo(KlEstimator.K3);
    }
}
