package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoLoss;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.align.reward.RankingLoss;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The units drive a real decoder in a few plain gradient steps: DPO moves the policy from ln 2 towards
 * the chosen response, and the K-way loss teaches a reward head an ordering. Not the learning tests
 * of the trainers (those use the real data and optimizer); a check that the losses, their
 * gradients and the model fit together.
 */
class AlignmentSmokeTest {

    static final LlamaConfig TINY = LlamaConfig.of(32, 64, 2, 4, 2, 64, 32, false);

    @Test
    void dpoStepsPreferTheChosenResponse() {
        LlamaModel policy = LlamaModel.initialise(TINY, Device.cpu(), 3);
        LlamaModel reference = LlamaModel.initialise(TINY, Device.cpu(), 3);
        try (policy; reference; NDManager data = policy.manager().newSubManager()) {
            // prompt (1, 5, 6); chosen (7, 8), rejected (9, 10); rows: chosen, rejected
            NDArray tokens = data.create(new int[] {1, 5, 6, 7, 8, 1, 5, 6, 9, 10}, new Shape(2, 5));
            NDArray response = data.create(new int[] {0, 0, 0, 1, 1, 0, 0, 0, 1, 1}, new Shape(2, 5));
            // Reference log-probabilities, computed once and held in the long-lived manager.
            NDArray ref = SequenceLogprobs.ofSequence(reference.forward(tokens), tokens, response).sum();
            NDArray refChosen = ref.get("0:1");
            NDArray refRejected = ref.get("1:2");
            DpoConfig config = DpoConfig.defaults().withBeta(0.5);
            policy.setTrainable(name -> true);

            Function<NDManager, LossOutput> loss = step -> {
                NDArray t = Functions.constant(tokens, step); // activations follow the tokens' manager: the step's
                NDArray logps = SequenceLogprobs.ofSequence(policy.forward(t), t, response).sum();
                return DpoLoss.compute(logps.get("0:1"), logps.get("1:2"), refChosen, refRejected, config);
            };
            double first = sgd(policy, loss, 0.5, 1).metric("loss");
            int arrays = policy.manager().getManagedArrays().size();
            LossOutput last = sgd(policy, loss, 0.5, 30);
            assertThat(policy.manager().getManagedArrays()).hasSize(arrays);
            assertThat(first).isCloseTo(Math.log(2), org.assertj.core.api.Assertions.within(1e-6));
            assertThat(last.metric("loss")).isLessThan(first - 0.1);
            assertThat(last.metric("rewards/accuracies")).isEqualTo(1.0);
            assertThat(last.metric("rewards/margins")).isGreaterThan(0.2);
        }
    }

    @Test
    void rankingLossTeachesARewardHeadAnOrdering() {
        LlamaModel rm = LlamaModel.initialise(TINY, Device.cpu(), 4);
        try (rm; NDManager data = rm.manager().newSubManager()) {
            rm.addValueHead();
            rm.setTrainable(name -> true);
            // Two prompts with 4 and 3 responses; the labeler prefers responses with more 7s.
            NDArray tokens = data.create(new int[] {
                    1, 5, 7, 7, 7, /**/ 1, 5, 7, 7, 2, /**/ 1, 5, 7, 2, 2, /**/ 1, 5, 2, 2, 2,
                    1, 6, 7, 7, 3, /**/ 1, 6, 3, 3, 3, /**/ 1, 6, 7, 3, 3}, new Shape(7, 5));
            List<Ranking> rankings = List.of(Ranking.of(0, 1, 2, 3), Ranking.of(4, 6, 5));
            int[] last = {4, 4, 4, 4, 4, 4, 4};
            Function<NDManager, LossOutput> loss = step -> RankingLoss.compute(
                    rm.valuesAt(rm.hiddenStates(Functions.constant(tokens, step), null, null, null), last), rankings, 0);
            double first = sgd(rm, loss, 0.1, 1).metric("loss");
            LossOutput trained = sgd(rm, loss, 0.1, 40);
            assertThat(first).isCloseTo(Math.log(2), org.assertj.core.api.Assertions.within(1e-6)); // zero head: all rewards equal
            assertThat(trained.metric("loss")).isLessThan(first / 2);
            assertThat(trained.metric("accuracy")).isEqualTo(1.0);
        }
    }

    /** Plain SGD for {@code steps} steps; returns the loss output of the last step (computed before its update). */
    private static LossOutput sgd(LlamaModel model, Function<NDManager, LossOutput> loss, double lr, int steps) {
        LossOutput out = null;
        for (int i = 0; i < steps; i++) {
            try (NDManager step = model.manager().newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    out = loss.apply(step);
                    collector.backward(out.loss());
                }
                // Update, then zero the gradient in place. (Not GradientCollector.zeroGradients(): in
                // DJL 0.35.1 it leaves two gradient handles per parameter in the model's manager.)
                for (NDArray p : model.parameters().values()) {
                    NDArray grad = p.getGradient();
                    grad.attach(step);
                    p.subi(grad.mul(lr));
                    grad.subi(grad);
                }
            }
        }
        return out;
    }
}
