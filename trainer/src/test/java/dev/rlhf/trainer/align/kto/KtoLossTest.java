package dev.rlhf.trainer.align.kto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.LossOutput;
import org.junit.jupiter.api.Test;

/**
 * Two desirable and two undesirable completions, beta = 0.1, sequence log-probabilities (policy, reference):
 * <pre>
 *   0 desirable   -5 / -6  -> r =  1
 *   1 desirable   -4 / -3  -> r = -1
 *   2 undesirable -8 / -6  -> r = -2
 *   3 undesirable -2 / -3  -> r =  1
 * </pre>
 * Mismatched pairs: policy (-10, -9, -7, -12), reference (-10.5, -9.5, -7.5, -12.5): mean log-ratio 0.5 = z0.
 * Loss terms, with 1 - sigmoid(x) = sigmoid(-x):
 * <pre>
 *   0: 1 - sigmoid(0.1 (1 - 0.5))    = sigmoid(-0.05) = 0.4875026
 *   1: 1 - sigmoid(0.1 (-1 - 0.5))   = sigmoid( 0.15) = 0.5374298
 *   2: 1 - sigmoid(0.1 (0.5 - -2))   = sigmoid(-0.25) = 0.4378235
 *   3: 1 - sigmoid(0.1 (0.5 - 1))    = sigmoid( 0.05) = 0.5124974
 * </pre>
 * weights 1, 1: loss = (0.4875026 + 0.5374298 + 0.4378235 + 0.5124974) / 4 = 0.4938133;
 * weights 1, 1.5: loss = (0.4875026 + 0.5374298 + 1.5 (0.4378235 + 0.5124974)) / 4 = 0.6126034.
 * rewards/chosen = 0.1 mean(1, -1) = 0; rewards/rejected = 0.1 mean(-2, 1) = -0.05; rewards/margins = 0.05;
 * logps/chosen = mean(-5, -4) = -4.5; logps/rejected = mean(-8, -2) = -5.
 */
class KtoLossTest {

    static final boolean[] LABELS = {true, true, false, false};

    @Test
    void referencePointIsTheMeanMismatchedLogRatioClampedAtZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThat(KtoLoss.referencePoint(m.create(new float[] {-10, -9, -7, -12}), m.create(new float[] {-10.5f, -9.5f, -7.5f, -12.5f})))
                    .isCloseTo(0.5, within(1e-6));
            // mean log-ratio (-1 + 0.5) / 2 = -0.25 < 0: clamped to 0
            assertThat(KtoLoss.referencePoint(m.create(new float[] {-3, -2}), m.create(new float[] {-2, -2.5f}))).isZero();
        }
    }

    @Test
    void lossAndTrlMetricsMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            double z0 = KtoLoss.referencePoint(m.create(new float[] {-10, -9, -7, -12}), m.create(new float[] {-10.5f, -9.5f, -7.5f, -12.5f}));
            LossOutput out = KtoLoss.compute(policy(m), reference(m), LABELS, z0, KtoConfig.defaults());
            assertThat(out.loss().getFloat()).isCloseTo(0.4938133f, within(1e-6f));
            assertThat(out.metrics()).containsOnlyKeys("loss", "kl", "rewards/chosen", "rewards/rejected", "rewards/margins",
                    "logps/chosen", "logps/rejected", "count/chosen", "count/rejected");
            assertThat(out.metric("loss")).isCloseTo(0.4938133, within(1e-6));
            assertThat(out.metric("kl")).isCloseTo(0.5, within(1e-6));
            assertThat(out.metric("rewards/chosen")).isCloseTo(0.0, within(1e-6));
            assertThat(out.metric("rewards/rejected")).isCloseTo(-0.05, within(1e-6));
            assertThat(out.metric("rewards/margins")).isCloseTo(0.05, within(1e-6));
            assertThat(out.metric("logps/chosen")).isCloseTo(-4.5, within(1e-6));
            assertThat(out.metric("logps/rejected")).isCloseTo(-5.0, within(1e-6));
            assertThat(out.metric("count/chosen")).isEqualTo(2.0);
            assertThat(out.metric("count/rejected")).isEqualTo(2.0);

            LossOutput weighted = KtoLoss.compute(policy(m), reference(m), LABELS, z0, KtoConfig.defaults().withUndesirableWeight(1.5));
            assertThat(weighted.metric("loss")).isCloseTo(0.6126034, within(1e-6));
        }
    }

    /**
     * d loss / d policy_i = w_i s_i (-beta) sigmoid(x_i)(1 - sigmoid(x_i)) / B with x_i = beta s_i (r_i - z0):
     * desirable examples get a negative gradient (descent raises their log-probability), undesirable ones a positive one.
     * Example 0: -0.1 * sigmoid(0.05) sigmoid(-0.05) / 4 = -0.1 * 0.2498438 / 4 = -0.00624610.
     */
    @Test
    void gradientRaisesDesirableAndLowersUndesirableLogprobs() {
        try (NDManager m = NDManager.newBaseManager(); GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray policy = policy(m);
            policy.setRequiresGradient(true);
            LossOutput out = KtoLoss.compute(policy, reference(m), LABELS, 0.5, KtoConfig.defaults());
            collector.backward(out.loss());
            float[] grad = policy.getGradient().toFloatArray();
            assertThat(grad[0]).isCloseTo(-0.0062461f, within(1e-7f));
            assertThat(grad[1]).isNegative();
            assertThat(grad[2]).isPositive();
            assertThat(grad[3]).isPositive();
        }
    }

    @Test
    void aBatchOfOneKindHasNoMarginAndRejectsBadInputs() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossOutput out = KtoLoss.compute(policy(m), reference(m), new boolean[] {true, true, true, true}, 0, KtoConfig.defaults());
            assertThat(out.metrics()).doesNotContainKeys("rewards/rejected", "rewards/margins", "logps/rejected");
            assertThat(out.metric("count/rejected")).isZero();
            assertThatThrownBy(() -> KtoLoss.compute(policy(m), reference(m), new boolean[] {true}, 0, KtoConfig.defaults()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> KtoLoss.compute(policy(m), reference(m), LABELS, -1, KtoConfig.defaults()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** 2 up, 6 down: balanced, the desirable weight is multiplied by 6 / 2 = 3; 6 up, 2 down: the undesirable one by 3. */
    @Test
    void balancedWeightsEqualiseTheTwoLabelsTotals() {
        KtoConfig balanced = KtoConfig.defaults().withBalanceWeights(true);
        assertThat(balanced.effectiveWeights(2, 6)).containsExactly(3.0, 1.0);
        assertThat(balanced.effectiveWeights(6, 2)).containsExactly(1.0, 3.0);
        assertThat(balanced.withDesirableWeight(0.5).effectiveWeights(2, 6)).containsExactly(1.5, 1.0);
        assertThat(balanced.effectiveWeights(0, 6)).containsExactly(1.0, 1.0);
        assertThat(KtoConfig.defaults().effectiveWeights(2, 6)).containsExactly(1.0, 1.0);
    }

    private static NDArray policy(NDManager m) {
        return m.create(new float[] {-5, -4, -8, -2});
    }

    private static NDArray reference(NDManager m) {
        return m.create(new float[] {-6, -3, -6, -3});
    }
}
