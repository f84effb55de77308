package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoLoss;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.ppo.ActorLoss;
import dev.rlhf.trainer.align.ppo.Gae;
import dev.rlhf.trainer.align.ppo.KlEstimator;
import dev.rlhf.trainer.align.ppo.MaskedEntropy;
import dev.rlhf.trainer.align.ppo.PolicyLoss;
import dev.rlhf.trainer.align.ppo.TokenRewards;
import dev.rlhf.trainer.align.ppo.ValueLoss;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.align.reward.RankingLoss;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Long-lived inputs (precomputed reference log-probabilities, rollout tensors, integer masks) sit
 * in one manager; each step runs every unit in a sub-manager. After 50 steps the long-lived
 * manager holds exactly the arrays it started with: no unit leaves a temporary behind there.
 */
class ManagerScopingTest {

    @Test
    void unitsLeaveNoArraysInTheManagersOfLongLivedInputs() {
        try (NDManager rollout = NDManager.newBaseManager()) {
            NDArray targets = rollout.create(new int[] {1, 2, 0, 3, 1, 2}, new Shape(2, 3));
            NDArray mask = rollout.create(new int[] {1, 1, 1, 1, 1, 0}, new Shape(2, 3));
            NDArray oldLogp = rollout.create(new float[] {-1, -2, -1, -0.5f, -1, 0}, new Shape(2, 3));
            NDArray refLogp = rollout.create(new float[] {-1.1f, -2, -0.9f, -0.5f, -1.2f, 0}, new Shape(2, 3));
            NDArray oldValues = rollout.create(new float[] {0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0}, new Shape(2, 3));
            NDArray scores = rollout.create(new float[] {1, -1});
            NDArray refChosen = rollout.create(new float[] {-5, -6});
            NDArray refRejected = rollout.create(new float[] {-6, -5});
            int before = rollout.getManagedArrays().size();

            for (int i = 0; i < 50; i++) {
                try (NDManager step = rollout.newSubManager()) {
                    NDArray logits = step.randomNormal(new Shape(2, 3, 4));
                    logits.setRequiresGradient(true);
                    NDArray values = step.randomNormal(new Shape(2, 3));
                    values.setRequiresGradient(true);
                    NDArray rewards = step.randomNormal(new Shape(4));
                    rewards.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        SequenceLogprobs.Result lp = SequenceLogprobs.of(logits, targets, mask);
                        NDArray kl = KlEstimator.K3.perToken(lp.perToken(), refLogp);
                        TokenRewards.Result tr = TokenRewards.compute(kl, mask, scores, new boolean[] {true, false}, 0.05, 5.0, 1.0);
                        // GAE's results belong to the manager of the values passed in, by design: hand it step-owned ones.
                        Gae.Result gae = Gae.compute(tr.rewards(), Functions.constant(oldValues, step), mask, 1.0, 0.95);
                        NDArray advantages = Masked.whiten(gae.advantages(), mask, true);
                        NDArray policy = ActorLoss.combine(PolicyLoss.compute(lp.perToken(), oldLogp, advantages, mask, 0.2),
                                ActorLoss.languageModelLoss(logits, targets, mask), 1.5).loss();
                        NDArray value = ValueLoss.compute(values, oldValues, gae.returns(), mask, 0.2).loss();
                        MaskedEntropy.mean(logits, mask);
                        NDArray dpo = DpoLoss.compute(lp.sum(), lp.mean(), refChosen, refRejected, DpoConfig.defaults()).loss();
                        NDArray rm = RankingLoss.compute(rewards, List.of(Ranking.of(0, 1, 2), Ranking.pair(3, 0)), 0.5).loss();
                        collector.backward(policy.add(value).add(dpo).add(rm));
                    }
                }
            }
            assertThat(rollout.getManagedArrays()).hasSize(before);
        }
    }
}
