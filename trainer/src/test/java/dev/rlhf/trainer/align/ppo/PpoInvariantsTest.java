package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PPO on a tiny decoder: the first step (policy = rollout policy = reference) has KL 0, ratio 1,
 * approxkl 0 and clip fraction 0; PPO-ptx with coefficient 0 is exactly plain PPO.
 */
class PpoInvariantsTest {

    static final LlamaConfig TINY = LlamaConfig.of(32, 64, 2, 4, 2, 64, 32, false);

    // Two prompts of 3 tokens; responses of 5 and 3 tokens, the second right-padded with 0s.
    static final int[] TOKENS = {1, 5, 6, 7, 8, 9, 10, 11, /**/ 1, 5, 12, 20, 21, 22, 0, 0};
    static final int[] RESPONSE = {0, 0, 0, 1, 1, 1, 1, 1, /**/ 0, 0, 0, 1, 1, 1, 0, 0};
    static final int[] PTX = {1, 30, 31, 32, 33, 34, 35, 36};

    LlamaModel actor;
    LlamaModel reference;

    @BeforeEach
    void models() {
        actor = LlamaModel.initialise(TINY, Device.cpu(), 11);
        reference = LlamaModel.initialise(TINY, Device.cpu(), 11);
        actor.setTrainable(name -> true);
    }

    @AfterEach
    void close() {
        actor.close();
        reference.close();
    }

    @Test
    void firstStepHasZeroKlUnitRatioAndNoClipping() {
        try (NDManager step = actor.manager().newSubManager()) {
            NDArray tokens = step.create(TOKENS, new Shape(2, 8));
            NDArray response = step.create(RESPONSE, new Shape(2, 8));
            NDArray mask = response.get(":, 1:");
            // Rollout, no gradients: the sampling policy's and the reference's log-probabilities.
            NDArray oldLogp = SequenceLogprobs.ofSequence(actor.forward(tokens), tokens, response).perToken();
            NDArray refLogp = SequenceLogprobs.ofSequence(reference.forward(tokens), tokens, response).perToken();
            for (KlEstimator estimator : KlEstimator.values()) {
                assertThat(estimator.perToken(oldLogp, refLogp).toFloatArray()).containsOnly(0f);
            }
            NDArray kl = KlEstimator.K1.perToken(oldLogp, refLogp);
            TokenRewards.Result rewards = TokenRewards.compute(kl, mask, step.create(new float[] {1f, -0.5f}),
                    new boolean[] {true, false}, 0.02, 10.0, 1.0);
            assertThat(rewards.metrics().get("objective/kl")).isZero();
            NDArray oldValues = step.zeros(mask.getShape());
            Gae.Result gae = Gae.compute(rewards.rewards(), oldValues, mask, 1.0, 0.95);
            NDArray advantages = Masked.whiten(gae.advantages(), mask, true);

            // First PPO update: the policy is still the rollout policy.
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logp = SequenceLogprobs.ofSequence(actor.forward(tokens), tokens, response).perToken();
                assertThat(logp.sub(oldLogp).exp().toFloatArray()).containsOnly(1f);
                LossOutput policy = PolicyLoss.compute(logp, oldLogp, advantages, mask, 0.2);
                assertThat(policy.metric("policy/approxkl")).isZero();
                assertThat(policy.metric("policy/clipfrac")).isZero();
                // ratio 1: loss = -mean(A) over response tokens = 0 for whitened advantages
                assertThat(policy.metric("loss/policy")).isCloseTo(0.0, within(1e-6));
                LossOutput value = ValueLoss.compute(oldValues.duplicate(), oldValues, gae.returns(), mask, 0.2);
                assertThat(value.metric("val/clipfrac")).isZero();
                collector.backward(policy.loss());
            }
        }
    }

    /**
     * Gradients of every actor weight: plain PPO vs PPO-ptx with gamma 0 are bit-identical;
     * with gamma 27.8 they are grad(PPO) + 27.8 grad(LM loss).
     */
    @Test
    void ptxCoefficientZeroIsExactlyPlainPpo() {
        try (NDManager step = actor.manager().newSubManager()) {
            NDArray tokens = step.create(TOKENS, new Shape(2, 8));
            NDArray response = step.create(RESPONSE, new Shape(2, 8));
            NDArray mask = response.get(":, 1:");
            NDArray ptxTokens = step.create(PTX, new Shape(1, 8));
            NDArray ptxMask = step.ones(new Shape(1, 8));
            // A policy that moved away from the rollout policy, so that some tokens are clipped.
            NDArray oldLogp = SequenceLogprobs.ofSequence(actor.forward(tokens), tokens, response).perToken()
                    .add(step.create(new float[] {0, 0, 0.5f, -0.4f, 0.1f, 0, 0, 0, 0, 0.3f, 0, -0.3f, 0, 0}, new Shape(2, 7)));
            NDArray advantages = step.create(new float[] {0, 0, 1, -1, 0.5f, 2, 1, 0, 0, -1, 1, 0.3f, 0, 0}, new Shape(2, 7));

            Function<Double, LossOutput> actorLoss = coef -> {
                NDArray logp = SequenceLogprobs.ofSequence(actor.forward(tokens), tokens, response).perToken();
                LossOutput policy = PolicyLoss.compute(logp, oldLogp, advantages, mask, 0.2);
                if (coef == null) {
                    return policy;
                }
                NDArray ptx = SequenceLogprobs.ofSequence(actor.forward(ptxTokens), ptxTokens, ptxMask).perToken();
                NDArray lm = Masked.mean(ptx, ptxMask.get(":, 1:")).neg();
                return ActorLoss.combine(policy, lm, coef);
            };
            Map<String, float[]> plain = gradients(() -> actorLoss.apply(null).loss());
            LossOutput withZero = actorLoss.apply(0.0);
            assertThat(withZero.metrics()).containsKey("loss/ptx");
            Map<String, float[]> ptxZero = gradients(() -> actorLoss.apply(0.0).loss());
            assertThat(ptxZero.keySet()).isEqualTo(plain.keySet());
            plain.forEach((name, grad) -> assertThat(ptxZero.get(name)).as(name).containsExactly(grad));
            assertThat(plain.values().stream().anyMatch(g -> g.length > 0 && nonZero(g))).isTrue();

            Map<String, float[]> lmOnly = gradients(() -> ActorLoss.languageModelLoss(
                    actor.forward(ptxTokens).get(":, :-1, :"), ptxTokens.get(":, 1:"), ptxMask.get(":, 1:")));
            assertThat(actorLoss.apply(27.8).loss().getDataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
            Map<String, float[]> ptxFull = gradients(() -> actorLoss.apply(27.8).loss());
            plain.forEach((name, grad) -> {
                float[] expected = new float[grad.length];
                for (int i = 0; i < grad.length; i++) {
                    expected[i] = grad[i] + 27.8f * lmOnly.get(name)[i];
                }
                assertThat(ptxFull.get(name)).as(name).containsExactly(expected, within(2e-4f));
            });
        }
    }

    private Map<String, float[]> gradients(java.util.function.Supplier<NDArray> loss) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (NDManager scratch = actor.manager().newSubManager()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(loss.get());
            }
            actor.parameters().forEach((name, p) -> {
                NDArray grad = p.getGradient();
                grad.attach(scratch);
                grads.put(name, grad.toFloatArray());
                grad.subi(grad); // zero in place for the next call
            });
        }
        return grads;
    }

    private static boolean nonZero(float[] g) {
        for (float v : g) {
            if (v != 0) {
                return true;
            }
        }
        return false;
    }
}
