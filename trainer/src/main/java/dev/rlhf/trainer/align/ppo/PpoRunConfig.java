package dev.rlhf.trainer.align.ppo;

import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * How a PPO run is driven, around the algorithm's own {@link PpoConfig}.
 *
 * @param ppo             the algorithm's hyperparameters (KL, GAE, clipping, batching, ptx, learning rates, seed)
 * @param maxSteps        optimizer steps to take; 0 = {@code epochs} passes over the prompts (default 0)
 * @param epochs          passes over the prompt data when maxSteps is 0 (default 1: OpenRLHF num_episodes)
 * @param numSamples      responses sampled per prompt; the rollout batch holds batch-size / K prompts (default 1)
 * @param temperature     sampling temperature of rollouts; the rollout's, the reference's and the update's log-probabilities
 *                        are all taken with the logits divided by it, as TRL and OpenRLHF do (default 1.0: OpenRLHF)
 * @param topK            top-k of rollouts; must be 0 (off): PPO's log-probabilities are over the full vocabulary, so
 *                        top-k sampling would make it off-policy (default 0: TRL samples with top_k 0)
 * @param topP            nucleus mass of rollouts; must be 1 (off), for the same reason (default 1.0: TRL, OpenRLHF)
 * @param maxGradNorm     global gradient-norm clip per model (default 1.0: OpenRLHF max_norm)
 * @param optimizer       AdamW of actor and critic (default betas 0.9/0.95, no weight decay: OpenRLHF adam_betas, l2 0)
 * @param ptxBatchSize    sequences per ptx batch, one batch per actor step (default 0 = the minibatch size)
 * @param ptxMaxSeqLen    longest ptx sequence in tokens (default 256)
 * @param checkpointEvery write the resumable state every this many rollouts, and at the end; 0 = only at the end (default 10)
 * @param offloadFrozen   keep the reference and reward models on the CPU whatever the training device (default false)
 */
@RecordBuilder
public record PpoRunConfig(
        PpoConfig ppo,
        int maxSteps,
        int epochs,
        int numSamples,
        float temperature,
        int topK,
        float topP,
        float maxGradNorm,
        AdamW.Settings optimizer,
        int ptxBatchSize,
        int ptxMaxSeqLen,
        int checkpointEvery,
        boolean offloadFrozen) implements PpoRunConfigBuilder.With {

    public PpoRunConfig {
        Checks.check(ppo != null, "ppo config missing");
        Checks.check(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        Checks.check(epochs >= 1, "epochs must be >= 1, got " + epochs);
        Checks.check(numSamples >= 1 && ppo.rolloutBatchSize() % numSamples == 0,
                "num-samples " + numSamples + " must divide batch-size " + ppo.rolloutBatchSize());
        Checks.check(numSamples >= 2 || ppo.advantage().needsCritic(), "advantage " + ppo.advantage().name().toLowerCase(java.util.Locale.ROOT)
                + " compares the K samples of a prompt: it needs num-samples >= 2, got " + numSamples);
        Checks.check(temperature > 0 && Float.isFinite(temperature), "temperature must be > 0 for PPO rollouts, got " + temperature);
        Checks.check(topK == 0, "top-k " + topK + " is not supported by PPO: its log-probabilities are over the full "
                + "vocabulary, so top-k sampling would make the update off-policy (leave top-k at 0)");
        Checks.check(topP == 1.0f, "top-p " + topP + " is not supported by PPO: its log-probabilities are over the full "
                + "vocabulary, so nucleus sampling would make the update off-policy (leave top-p at 1)");
        Checks.check(maxGradNorm >= 0, "max-grad-norm must be >= 0, got " + maxGradNorm);
        Checks.check(ptxBatchSize >= 0, "ptx-batch-size must be >= 0, got " + ptxBatchSize);
        Checks.check(ptxMaxSeqLen >= 2, "ptx-max-seq-len must be >= 2, got " + ptxMaxSeqLen);
        Checks.check(checkpointEvery >= 0, "checkpoint-every must be >= 0, got " + checkpointEvery);
    }

    /** The defaults documented above, one per component. */
    public static PpoRunConfig defaults() {
        return PpoRunConfigBuilder.builder()
                .ppo(PpoConfig.defaults()).maxSteps(0).epochs(1).numSamples(1)
                .temperature(1.0f).topK(0).topP(1.0f).maxGradNorm(1.0f)
                .optimizer(new AdamW.Settings(0.9f, 0.95f, 1e-8f, 0f))
                .ptxBatchSize(0).ptxMaxSeqLen(256).checkpointEvery(10).offloadFrozen(false)
                .build();
    }

    /**
     * Values that learn on stories260K-sized models: 32 responses per rollout (8 prompts x 4 samples of
     * 32 tokens), 2 PPO epochs x 2 minibatches, 24 optimizer steps, actor lr 2e-4, critic lr 1e-3, KL coef
     * 0.2, the rest as {@link #defaults()} (the setting with the most labeler score per nat of KL in the
     * reward-vs-KL experiment; the same as serve's LoopConfig defaults). The paper's 1e-6 leaves such a
     * model where it started.
     */
    public static PpoRunConfig smallModels() {
        PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(32).numMiniBatches(2).ppoEpochs(2)
                .klCoef(0.2).maxNewTokens(32).actorLearningRate(2e-4).criticLearningRate(1e-3));
        return of(ppo).withMaxSteps(24).withNumSamples(4);
    }

    /** {@code ppo} run with the defaults of everything else. */
    public static PpoRunConfig of(PpoConfig ppo) {
        return defaults().withPpo(ppo);
    }

    /** Optimizer steps per rollout: every minibatch of every PPO epoch. */
    public int stepsPerRollout() {
        return ppo.ppoEpochs() * ppo.numMiniBatches();
    }

    public int promptsPerRollout() {
        return ppo.rolloutBatchSize() / numSamples;
    }

    public int effectivePtxBatchSize() {
        return ptxBatchSize > 0 ? ptxBatchSize : ppo.miniBatchSize();
    }
}
