package dev.rlhf.trainer.align.ppo;

import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Hyperparameters of PPO with a KL penalty and optional pretraining mix (the {@code ppo} command).
 *
 * @param klCoef            initial per-token KL penalty coefficient beta (default 0.02: InstructGPT)
 * @param klTarget          target KL per sequence for the adaptive controller; null = fixed coefficient (default null: InstructGPT's fixed beta; Ziegler et al. 2019 / TRL use 6)
 * @param klHorizon         horizon of the adaptive controller in samples (default 10000: TRL AdaptiveKLController, Ziegler et al. 2019)
 * @param klEstimator       per-token KL estimator k1 or k3 (default k1: TRL's kl_estimator, InstructGPT's log ratio)
 * @param gamma             discount (default 1.0: TRL, episodic text)
 * @param lambda            GAE lambda (default 0.95: TRL lam)
 * @param clipRange         policy ratio clip eps (default 0.2: TRL cliprange, PPO paper)
 * @param valueClipRange    value clip range (default 0.2: TRL cliprange_value)
 * @param vfCoef            weight of the value loss (default 0.1: TRL vf_coef)
 * @param ppoEpochs         passes over each rollout batch (default 4: TRL num_ppo_epochs)
 * @param numMiniBatches    minibatches per rollout batch per epoch (default 1: TRL num_mini_batches)
 * @param rolloutBatchSize  prompts sampled per PPO step (default 64: TRL's PPO example per_device_train_batch_size)
 * @param maxNewTokens      response length sampled in rollouts (default 53: TRL response_length)
 * @param whitenAdvantages  whiten GAE's advantages over the batch; RLOO's and GRPO's are used as computed (default true: TRL
 *                          PPOTrainer always whitens advantages; its RLOOTrainer's normalize_advantages defaults to false)
 * @param whitenRewards     scale per-token rewards to unit variance before GAE, mean kept (default false: TRL whiten_rewards)
 * @param rewardClip        clip reward-model scores to [-c, c]; null = off (default 10.0: OpenRLHF reward_clip_range)
 * @param missingEosPenalty subtracted from the score of responses without EOS; null = off (default null: TRL missing_eos_penalty)
 * @param ptxCoef           gamma_ptx, weight of the LM loss on ptx batches; 0 = plain PPO (default 0.0: off as in TRL and OpenRLHF without pretraining data; InstructGPT's PPO-ptx uses {@link #INSTRUCTGPT_PTX_COEF})
 * @param actorLearningRate AdamW learning rate of the actor (default 1e-6: OpenRLHF actor_learning_rate)
 * @param criticLearningRate AdamW learning rate of the critic (default 9e-6: OpenRLHF critic_learning_rate)
 * @param seed              sampling and shuffling seed (default 42: TRL TrainingArguments)
 * @param advantage         advantage estimator: GAE with the critic, or the critic-free RLOO / GRPO over the K samples of a prompt,
 *                          which load no critic (default GAE: PPO as InstructGPT, TRL PPOTrainer and OpenRLHF's default run it)
 * @param scaleRewards      GRPO only: divide each group's centred rewards by its std + 1e-4; false = Dr. GRPO's unbiased
 *                          advantages (default true: TRL GRPOConfig scale_rewards)
 * @param lossNormalizer    what the minibatch's summed policy loss is divided by: its response tokens, or Dr. GRPO's constant
 *                          rows x max-new-tokens (default TOKENS: OpenRLHF's and TRL PPOTrainer's masked token mean)
 */
@RecordBuilder
public record PpoConfig(
        double klCoef,
        Double klTarget,
        double klHorizon,
        KlEstimator klEstimator,
        double gamma,
        double lambda,
        double clipRange,
        double valueClipRange,
        double vfCoef,
        int ppoEpochs,
        int numMiniBatches,
        int rolloutBatchSize,
        int maxNewTokens,
        boolean whitenAdvantages,
        boolean whitenRewards,
        Double rewardClip,
        Double missingEosPenalty,
        double ptxCoef,
        double actorLearningRate,
        double criticLearningRate,
        long seed,
        Advantage advantage,
        boolean scaleRewards,
        PolicyLossNormalizer lossNormalizer) implements PpoConfigBuilder.With {

    /** InstructGPT's PPO-ptx pretraining-loss coefficient gamma. */
    public static final double INSTRUCTGPT_PTX_COEF = 27.8;

    public PpoConfig {
        // resume states written before these options existed read back as nulls: today's PPO
        advantage = advantage == null ? Advantage.GAE : advantage;
        lossNormalizer = lossNormalizer == null ? PolicyLossNormalizer.TOKENS : lossNormalizer;
        Checks.check(klCoef >= 0 && Double.isFinite(klCoef), "kl-coef must be >= 0, got " + klCoef);
        Checks.check(klTarget == null || (klTarget > 0 && Double.isFinite(klTarget)), "kl-target must be > 0, got " + klTarget);
        Checks.check(klHorizon > 0 && Double.isFinite(klHorizon), "kl-horizon must be > 0, got " + klHorizon);
        Checks.check(klEstimator != null, "kl-estimator must be k1 or k3");
        Checks.check(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got " + gamma);
        Checks.check(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got " + lambda);
        Checks.check(clipRange > 0 && clipRange < 1, "clip-range must be in (0, 1), got " + clipRange);
        Checks.check(valueClipRange > 0 && Double.isFinite(valueClipRange), "value-clip-range must be > 0, got " + valueClipRange);
        Checks.check(vfCoef >= 0 && Double.isFinite(vfCoef), "vf-coef must be >= 0, got " + vfCoef);
        Checks.check(ppoEpochs >= 1, "ppo-epochs must be >= 1, got " + ppoEpochs);
        Checks.check(numMiniBatches >= 1, "num-mini-batches must be >= 1, got " + numMiniBatches);
        Checks.check(rolloutBatchSize >= numMiniBatches && rolloutBatchSize % numMiniBatches == 0,
                "batch-size " + rolloutBatchSize + " must be a positive multiple of num-mini-batches " + numMiniBatches);
        Checks.check(maxNewTokens >= 1, "max-new-tokens must be >= 1, got " + maxNewTokens);
        Checks.check(rewardClip == null || (rewardClip > 0 && Double.isFinite(rewardClip)), "reward-clip must be > 0, got " + rewardClip);
        Checks.check(missingEosPenalty == null || (missingEosPenalty >= 0 && Double.isFinite(missingEosPenalty)),
                "missing-eos-penalty must be >= 0, got " + missingEosPenalty);
        Checks.check(ptxCoef >= 0 && Double.isFinite(ptxCoef), "ptx-coef must be >= 0, got " + ptxCoef);
        Checks.check(actorLearningRate > 0 && Double.isFinite(actorLearningRate), "lr must be > 0, got " + actorLearningRate);
        Checks.check(criticLearningRate > 0 && Double.isFinite(criticLearningRate), "critic-lr must be > 0, got " + criticLearningRate);
    }

    /** The defaults documented above, one per component. */
    public static PpoConfig defaults() {
        return PpoConfigBuilder.builder()
                .klCoef(0.02).klTarget(null).klHorizon(10000).klEstimator(KlEstimator.K1)
                .gamma(1.0).lambda(0.95).clipRange(0.2).valueClipRange(0.2).vfCoef(0.1)
                .ppoEpochs(4).numMiniBatches(1).rolloutBatchSize(64).maxNewTokens(53)
                .whitenAdvantages(true).whitenRewards(false).rewardClip(10.0).missingEosPenalty(null).ptxCoef(0.0)
                .actorLearningRate(1e-6).criticLearningRate(9e-6).seed(42)
                .advantage(Advantage.GAE).scaleRewards(true).lossNormalizer(PolicyLossNormalizer.TOKENS)
                .build();
    }

    /** Sequences per minibatch. */
    public int miniBatchSize() {
        return rolloutBatchSize / numMiniBatches;
    }
}
