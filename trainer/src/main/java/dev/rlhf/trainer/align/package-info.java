/**
 * Building blocks of the alignment algorithms, each a small unit on DJL NDArrays with its own
 * test against hand-computed numbers (in the spirit of OpenRLHF's {@code models/loss.py}):
 *
 * <ul>
 *   <li>{@code loss}: {@link dev.rlhf.trainer.align.loss.SequenceLogprobs} (per-token and per-sequence
 *       log-probabilities), {@link dev.rlhf.trainer.align.loss.Masked} (masked sum, mean, variance,
 *       whitening), {@link dev.rlhf.trainer.align.loss.LossOutput} (a loss and its metrics);</li>
 *   <li>{@code reward}: the K-way {@link dev.rlhf.trainer.align.reward.RankingLoss} over
 *       {@link dev.rlhf.trainer.align.reward.Ranking}s, {@link dev.rlhf.trainer.align.reward.RewardNormalization},
 *       {@link dev.rlhf.trainer.align.reward.RewardModelConfig};</li>
 *   <li>{@code dpo}: {@link dev.rlhf.trainer.align.dpo.DpoLoss} (sigmoid, conservative, IPO, reference-free),
 *       {@link dev.rlhf.trainer.align.dpo.DpoConfig};</li>
 *   <li>{@code ppo}: {@link dev.rlhf.trainer.align.ppo.KlEstimator}, {@link dev.rlhf.trainer.align.ppo.KlController},
 *       {@link dev.rlhf.trainer.align.ppo.TokenRewards}, {@link dev.rlhf.trainer.align.ppo.Gae},
 *       {@link dev.rlhf.trainer.align.ppo.PolicyLoss}, {@link dev.rlhf.trainer.align.ppo.ValueLoss},
 *       {@link dev.rlhf.trainer.align.ppo.Entropy}, {@link dev.rlhf.trainer.align.ppo.ActorLoss} (PPO-ptx),
 *       {@link dev.rlhf.trainer.align.ppo.PpoConfig}.</li>
 * </ul>
 *
 * <p>Trainers built on them: {@link dev.rlhf.trainer.align.reward.RewardTrainer} (K-way loss on
 * rankings, reward normalisation, {@link dev.rlhf.trainer.align.reward.RewardScorer} to score texts
 * the same way), {@link dev.rlhf.trainer.align.dpo.DpoTrainer} (reference log-probabilities
 * precomputed once), reading the exports with {@link dev.rlhf.trainer.align.data.PreferenceFile};
 * {@code labeler} holds simulated labelers for tests and demos.
 *
 * <p>One PPO step composes them as follows (shapes [B, T] over the response positions, logits
 * shifted by {@code SequenceLogprobs.ofSequence}):
 * <pre>
 * rollout (no gradients, one manager per rollout):
 *   sample with Generator; oldLogp, refLogp = SequenceLogprobs.ofSequence(actor/reference logits).perToken()
 *   oldValues = critic values at the positions that predict each response token; scores = reward model at the last token
 *   kl = config.klEstimator().perToken(oldLogp, refLogp)
 *   r = TokenRewards.compute(kl, mask, scores, endedWithEos, controller.value(), config.rewardClip(), config.missingEosPenalty())
 *   rewards = config.whitenRewards() ? Masked.whiten(r.rewards(), mask, false) : r.rewards()
 *   gae = Gae.compute(rewards, oldValues, mask, config.gamma(), config.lambda())
 *   advantages = config.whitenAdvantages() ? Masked.whiten(gae.advantages(), mask, true) : gae.advantages()
 * for each of config.ppoEpochs() epochs, for each of config.numMiniBatches() minibatches (one sub-manager each):
 *   policy = PolicyLoss.compute(logp, oldLogp, advantages, mask, config.clipRange())
 *   actor = ActorLoss.combine(policy, ptx batch ? ActorLoss.languageModelLoss(...) : null, config.ptxCoef())
 *   critic = ValueLoss.compute(values, oldValues, gae.returns(), mask, config.valueClipRange())  (times config.vfCoef())
 * controller = controller.update(r.metrics().get("objective/kl"), rolloutBatchSize)
 * </pre>
 *
 * <p>Memory: results and temporaries belong to the manager of the differentiable input (the
 * caller's step manager); inputs from longer-lived managers (precomputed reference
 * log-probabilities, rollout tensors, integer masks) are only read, never given new arrays
 * ({@code ManagerScopingTest}). {@code Gae} returns its results in the manager of the values it is
 * given. Metrics are computed on detached copies in scratch sub-managers and returned as numbers.
 */
package dev.rlhf.trainer.align;
