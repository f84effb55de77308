package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.LossOutput;
import org.junit.jupiter.api.Test;

/** The clipped policy loss, the clipped value loss and the entropy on hand-computed tokens. */
class PpoLossesTest {

    static final float LN1_5 = (float) Math.log(1.5);
    static final float LN0_5 = (float) Math.log(0.5);

    /**
     * eps = 0.2; old logp = -1 everywhere; logp - old = (0, ln 1.5, ln 0.5, ln 0.5 | masked 0.1);
     * A = (1, 1, -2, 1 | 5). Per token max(-A r, -A clip(r, 0.8, 1.2)):
     * t0: r = 1:   max(-1, -1)          = -1   (not clipped)
     * t1: r = 1.5: max(-1.5, -1.2)      = -1.2 (clipped)
     * t2: r = 0.5: max(1.0, 2 * 0.8 = 1.6) = 1.6 (clipped)
     * t3: r = 0.5: max(-0.5, -0.8)      = -0.5 (not clipped: the pessimistic term is the unclipped one)
     * loss = (-1 - 1.2 + 1.6 - 0.5) / 4 = -0.275; clipfrac = 2 / 4 = 0.5
     * approxkl = 0.5 * (0 + ln(1.5)^2 + 2 ln(0.5)^2) / 4 = 0.5 * (0.1644020 + 2 * 0.4804530) / 4 = 0.1406635
     * d loss / d logp = -A r / 4 where unclipped, 0 where clipped: (-0.25, 0, 0, -0.125, 0)
     */
    @Test
    void clippedPolicyLossMetricsAndGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray old = manager.full(new Shape(1, 5), -1f);
            NDArray logp = old.add(manager.create(new float[] {0, LN1_5, LN0_5, LN0_5, 0.1f}, new Shape(1, 5)));
            logp.setRequiresGradient(true);
            NDArray advantages = manager.create(new float[] {1, 1, -2, 1, 5}, new Shape(1, 5));
            NDArray mask = manager.create(new int[] {1, 1, 1, 1, 0}, new Shape(1, 5));
            LossOutput out;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                out = PolicyLoss.compute(logp, old, advantages, mask, 0.2);
                collector.backward(out.loss());
            }
            assertThat(out.loss().getFloat()).isCloseTo(-0.275f, within(1e-6f));
            assertThat(out.metric("loss/policy")).isCloseTo(-0.275, within(1e-6));
            assertThat(out.metric("policy/clipfrac")).isEqualTo(0.5);
            assertThat(out.metric("policy/approxkl")).isCloseTo(0.1406635, within(1e-6));
            assertThat(logp.getGradient().toFloatArray()).containsExactly(new float[] {-0.25f, 0, 0, -0.125f, 0}, within(1e-6f));
        }
    }

    /**
     * c = 0.2; old values 0, returns 1, new values (0.1, 0.5, -0.5 | masked 3):
     * t0: clipped 0.1;  (0.1 - 1)^2 = 0.81 both                       -> 0.81
     * t1: clipped 0.2;  unclipped (0.5 - 1)^2 = 0.25, clipped 0.64     -> 0.64 (clipped counts)
     * t2: clipped -0.2; unclipped (-1.5)^2 = 2.25, clipped 1.44        -> 2.25
     * loss = 0.5 * (0.81 + 0.64 + 2.25) / 3 = 0.6166667; val/clipfrac = 1/3
     * d loss / d v = (v - R) / 3 where the unclipped error counts (0 where the clipped one wins):
     * (-0.9 / 3 = -0.3, 0, -1.5 / 3 = -0.5, 0)
     */
    @Test
    void clippedValueLossMetricsAndGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray values = manager.create(new float[] {0.1f, 0.5f, -0.5f, 3}, new Shape(1, 4));
            values.setRequiresGradient(true);
            NDArray old = manager.zeros(new Shape(1, 4));
            NDArray returns = manager.ones(new Shape(1, 4));
            NDArray mask = manager.create(new int[] {1, 1, 1, 0}, new Shape(1, 4));
            LossOutput out;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                out = ValueLoss.compute(values, old, returns, mask, 0.2);
                collector.backward(out.loss());
            }
            assertThat(out.loss().getFloat()).isCloseTo(0.6166667f, within(1e-6f));
            assertThat(out.metric("val/clipfrac")).isCloseTo(1.0 / 3, within(1e-6));
            assertThat(values.getGradient().toFloatArray()).containsExactly(new float[] {-0.3f, 0, -0.5f, 0}, within(1e-6f));
        }
    }

    /**
     * Uniform over 4: H = ln 4 = 1.3862944. Probabilities (1, 1, 2, 4) / 8 (logits 0, 0, ln 2, ln 4):
     * H = 2 * (1/8) ln 8 + (1/4) ln 4 + (1/2) ln 2 = (3/4 + 1/2 + 1/2) ln 2 = 1.75 ln 2 = 1.2130076.
     * Third position masked; objective/entropy = (1.3862944 + 1.2130076) / 2 = 1.2996510.
     */
    @Test
    void entropyFromLogits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float ln2 = (float) Math.log(2);
            NDArray logits = manager.create(new float[] {0, 0, 0, 0, 0, 0, ln2, 2 * ln2, 9, 9, 9, -9}, new Shape(1, 3, 4));
            NDArray mask = manager.create(new int[] {1, 1, 0}, new Shape(1, 3));
            assertThat(Entropy.perToken(logits).get("0, :2").toFloatArray())
                    .containsExactly(new float[] {1.3862944f, 1.2130076f}, within(1e-6f));
            assertThat(MaskedEntropy.mean(logits, mask)).isCloseTo(1.2996510, within(1e-6));
        }
    }
}
