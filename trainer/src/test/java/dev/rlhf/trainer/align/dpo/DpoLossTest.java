package dev.rlhf.trainer.align.dpo;

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
 * Two pairs, beta = 0.1, sequence log-probabilities:
 * pair 0: policy chosen -5, rejected -7; reference chosen -6, rejected -6 -> h = (1) - (-1) = 2,  beta h = 0.2
 * pair 1: policy chosen -3, rejected -2; reference chosen -3, rejected -3 -> h = (0) - (1) = -1, beta h = -0.1
 * with -log sigmoid(x) = log(1 + e^-x) = softplus(-x).
 */
class DpoLossTest {

    static final DpoConfig SIGMOID = DpoConfig.defaults().withBeta(0.1);

    /** policy == reference: h = 0, loss = -log sigmoid(0) = ln 2 whatever beta and label smoothing. */
    @Test
    void policyEqualToReferenceGivesLn2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray chosen = manager.create(new float[] {-12.5f, -3f, -40f});
            NDArray rejected = manager.create(new float[] {-8f, -30f, -41f});
            for (DpoConfig config : new DpoConfig[] {SIGMOID, SIGMOID.withBeta(0.5), SIGMOID.withLabelSmoothing(0.2)}) {
                LossOutput out = DpoLoss.compute(chosen, rejected, chosen.duplicate(), rejected.duplicate(), config);
                assertThat(out.loss().getFloat()).isCloseTo((float) Math.log(2), within(1e-6f));
                assertThat(out.metric("rewards/chosen")).isZero();
                assertThat(out.metric("rewards/margins")).isZero();
                assertThat(out.metric("rewards/accuracies")).isZero();
            }
        }
    }

    /**
     * loss = (softplus(-0.2) + softplus(0.1)) / 2 = (0.5981389 + 0.7443967) / 2 = 0.6712678
     * rewards/chosen = mean(0.1 * 1, 0.1 * 0) = 0.05; rewards/rejected = mean(0.1 * -1, 0.1 * 1) = 0
     * rewards/accuracies: 0.1 > -0.1 yes, 0 > 0.1 no -> 0.5; rewards/margins = mean(0.2, -0.1) = 0.05
     * logps/chosen = mean(-5, -3) = -4; logps/rejected = mean(-7, -2) = -4.5
     */
    @Test
    void sigmoidLossAndTrlMetricsMatchHandComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LossOutput out = compute(manager, SIGMOID, null);
            assertThat(out.loss().getFloat()).isCloseTo(0.6712678f, within(1e-6f));
            assertThat(out.metrics()).containsOnlyKeys("loss", "rewards/chosen", "rewards/rejected",
                    "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected");
            assertThat(out.metric("rewards/chosen")).isCloseTo(0.05, within(1e-6));
            assertThat(out.metric("rewards/rejected")).isCloseTo(0.0, within(1e-6));
            assertThat(out.metric("rewards/accuracies")).isEqualTo(0.5);
            assertThat(out.metric("rewards/margins")).isCloseTo(0.05, within(1e-6));
            assertThat(out.metric("logps/chosen")).isCloseTo(-4.0, within(1e-6));
            assertThat(out.metric("logps/rejected")).isCloseTo(-4.5, within(1e-6));
        }
    }

    /**
     * d loss / d policyChosen_i = -beta sigmoid(-beta h_i) / B, and the opposite for policyRejected:
     * pair 0: -0.1 * sigmoid(-0.2) / 2 = -0.1 * 0.4501660 / 2 = -0.0225083
     * pair 1: -0.1 * sigmoid(0.1) / 2  = -0.1 * 0.5249792 / 2 = -0.0262490
     * The reference gets no gradient (it is a constant).
     */
    @Test
    void sigmoidGradientMatchesHandComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] grads = new NDArray[2];
            compute(manager, SIGMOID, grads);
            assertThat(grads[0].toFloatArray()).containsExactly(new float[] {-0.0225083f, -0.0262490f}, within(1e-7f));
            assertThat(grads[1].toFloatArray()).containsExactly(new float[] {0.0225083f, 0.0262490f}, within(1e-7f));
        }
    }

    /**
     * eps = 0.1: per pair (1 - eps) softplus(-beta h) + eps softplus(beta h)
     * pair 0: 0.9 * 0.5981389 + 0.1 * 0.7981389 = 0.6181389
     * pair 1: 0.9 * 0.7443967 + 0.1 * 0.6443967 = 0.7343967; mean 0.6762678
     * gradient wrt policyChosen: (-(1 - eps) beta sigmoid(-beta h) + eps beta sigmoid(beta h)) / 2
     * pair 0: (-0.9 * 0.1 * 0.4501660 + 0.1 * 0.1 * 0.5498340) / 2 = -0.0175083
     * pair 1: (-0.9 * 0.1 * 0.5249792 + 0.1 * 0.1 * 0.4750208) / 2 = -0.0212490
     */
    @Test
    void conservativeDpoSmoothsTheLabels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] grads = new NDArray[2];
            LossOutput out = compute(manager, SIGMOID.withLabelSmoothing(0.1), grads);
            assertThat(out.loss().getFloat()).isCloseTo(0.6762678f, within(1e-6f));
            assertThat(grads[0].toFloatArray()).containsExactly(new float[] {-0.0175083f, -0.0212490f}, within(1e-7f));
        }
    }

    /**
     * IPO, beta 0.1: target 1 / (2 beta) = 5; pair 0 (2 - 5)^2 = 9, pair 1 (-1 - 5)^2 = 36, mean 22.5.
     * gradient wrt policyChosen: 2 (h - 5) / 2 = (-3, -6); wrt policyRejected (3, 6).
     */
    @Test
    void ipoLossAndGradientMatchHandComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] grads = new NDArray[2];
            LossOutput out = compute(manager, SIGMOID.withLossType(DpoLossType.IPO), grads);
            assertThat(out.loss().getFloat()).isCloseTo(22.5f, within(1e-5f));
            assertThat(grads[0].toFloatArray()).containsExactly(new float[] {-3f, -6f}, within(1e-5f));
            assertThat(grads[1].toFloatArray()).containsExactly(new float[] {3f, 6f}, within(1e-5f));
        }
    }

    /** Reference-free: h = (-5 - -7, -3 - -2) = (2, -1), the same as above, so the same loss 0.6712678. */
    @Test
    void referenceFreeUsesZeroReference() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray chosen = manager.create(new float[] {-5, -3});
            NDArray rejected = manager.create(new float[] {-7, -2});
            LossOutput out = DpoLoss.compute(chosen, rejected, null, null, SIGMOID.withReferenceFree(true));
            assertThat(out.loss().getFloat()).isCloseTo(0.6712678f, within(1e-6f));
            assertThatThrownBy(() -> DpoLoss.compute(chosen, rejected, null, null, SIGMOID))
                    .hasMessageContaining("reference");
        }
    }

    @Test
    void configRejectsBadValues() {
        assertThatThrownBy(() -> SIGMOID.withBeta(0)).hasMessageContaining("beta");
        assertThatThrownBy(() -> SIGMOID.withLabelSmoothing(0.5)).hasMessageContaining("label-smoothing");
        assertThatThrownBy(() -> SIGMOID.withLossType(DpoLossType.IPO).withLabelSmoothing(0.1))
                .hasMessageContaining("sigmoid loss only");
        assertThat(DpoLossType.parse("IPO")).isEqualTo(DpoLossType.IPO);
        assertThatThrownBy(() -> DpoLossType.parse("hinge")).hasMessageContaining("hinge");
        assertThat(DpoConfig.defaults().beta()).isEqualTo(0.1);
        assertThat(DpoConfig.defaults().withLossType(DpoLossType.IPO).lengthNormalized()).isTrue();
    }

    /** Runs the two-pair example; when {@code grads} is given, back-propagates and stores d/dchosen, d/drejected. */
    private static LossOutput compute(NDManager manager, DpoConfig config, NDArray[] grads) {
        NDArray chosen = manager.create(new float[] {-5, -3});
        NDArray rejected = manager.create(new float[] {-7, -2});
        NDArray refChosen = manager.create(new float[] {-6, -3});
        NDArray refRejected = manager.create(new float[] {-6, -3});
        if (grads == null) {
            return DpoLoss.compute(chosen, rejected, refChosen, refRejected, config);
        }
        chosen.setRequiresGradient(true);
        rejected.setRequiresGradient(true);
        LossOutput out;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            out = DpoLoss.compute(chosen, rejected, refChosen, refRejected, config);
            collector.backward(out.loss());
        }
        grads[0] = chosen.getGradient();
        grads[1] = rejected.getGradient();
        return out;
    }
}
