package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.align.loss.Masked;
import org.junit.jupiter.api.Test;

class GaeTest {

    /**
     * gamma 0.9, lambda 0.8 (gamma lambda = 0.72); V = 0 and A = 0 after the last real token.
     * row 0 (4 tokens): r = (0, 0, 0, 1), V = (0.5, 0.4, 0.6, 0.7)
     *   t3: delta = 1 + 0 - 0.7 = 0.3;          A3 = 0.3
     *   t2: delta = 0 + 0.9*0.7 - 0.6 = 0.03;   A2 = 0.03 + 0.72*0.3 = 0.246
     *   t1: delta = 0 + 0.9*0.6 - 0.4 = 0.14;   A1 = 0.14 + 0.72*0.246 = 0.31712
     *   t0: delta = 0 + 0.9*0.4 - 0.5 = -0.14;  A0 = -0.14 + 0.72*0.31712 = 0.0883264
     *   returns = A + V = (0.5883264, 0.71712, 0.846, 1.0)
     * row 1 (3 tokens, then padding whose reward 9 and value 9 must be ignored):
     *   r = (-0.1, 0.2, 0.5), V = (1.0, 0.0, -0.5)
     *   t2: delta = 0.5 + 0 + 0.5 = 1.0;        A2 = 1.0
     *   t1: delta = 0.2 + 0.9*(-0.5) - 0 = -0.25; A1 = -0.25 + 0.72*1.0 = 0.47
     *   t0: delta = -0.1 + 0 - 1.0 = -1.1;      A0 = -1.1 + 0.72*0.47 = -0.7616
     *   returns = (0.2384, 0.47, 0.5, 0)
     */
    @Test
    void advantagesAndReturnsMatchHandComputedRecursion() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {0, 0, 0, 1, -0.1f, 0.2f, 0.5f, 9}, new Shape(2, 4));
            NDArray values = manager.create(new float[] {0.5f, 0.4f, 0.6f, 0.7f, 1.0f, 0.0f, -0.5f, 9}, new Shape(2, 4));
            NDArray mask = manager.create(new int[] {1, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 4));
            Gae.Result r = Gae.compute(rewards, values, mask, 0.9, 0.8);
            assertThat(r.advantages().toFloatArray()).containsExactly(new float[] {
                    0.0883264f, 0.31712f, 0.246f, 0.3f, -0.7616f, 0.47f, 1.0f, 0f}, within(1e-6f));
            assertThat(r.returns().toFloatArray()).containsExactly(new float[] {
                    0.5883264f, 0.71712f, 0.846f, 1.0f, 0.2384f, 0.47f, 0.5f, 0f}, within(1e-6f));
        }
    }

    /** gamma = lambda = 1 and V = 0: every advantage is the sum of the rewards still to come. */
    @Test
    void withoutDiscountingAdvantageIsTheRewardToGo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {1, 2, 3}, new Shape(1, 3));
            Gae.Result r = Gae.compute(rewards, manager.zeros(new Shape(1, 3)), manager.ones(new Shape(1, 3)), 1, 1);
            assertThat(r.advantages().toFloatArray()).containsExactly(6, 5, 3);
            NDArray gappy = manager.create(new int[] {1, 0, 1}, new Shape(1, 3));
            assertThatThrownBy(() -> Gae.compute(rewards, rewards, gappy, 1, 1)).hasMessageContaining("gaps");
        }
    }

    /**
     * Advantages (1, 2, 3 | pad 100): masked mean 2, unbiased variance (1 + 0 + 1) / 2 = 1, so
     * whitened (-1, 0, 1, 0); without shifting the mean back in: (1, 2, 3, 0).
     */
    @Test
    void whiteningUsesMaskedStatistics() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.create(new float[] {1, 2, 3, 100}, new Shape(1, 4));
            NDArray mask = manager.create(new int[] {1, 1, 1, 0}, new Shape(1, 4));
            assertThat(Masked.whiten(a, mask, true).toFloatArray()).containsExactly(new float[] {-1, 0, 1, 0}, within(1e-6f));
            assertThat(Masked.whiten(a, mask, false).toFloatArray()).containsExactly(new float[] {1, 2, 3, 0}, within(1e-6f));
        }
    }
}
