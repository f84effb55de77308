package dev.rlhf.trainer.align.dpo;

import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Hyperparameters of direct preference optimisation (the {@code dpo} command).
 *
 * @param beta                 strength of the implicit KL constraint (default 0.1: TRL DPOConfig, DPO paper)
 * @param lossType             sigmoid or ipo (default sigmoid: TRL DPOConfig)
 * @param labelSmoothing       assumed label-noise rate eps of conservative DPO, in [0, 0.5) (default 0.0: TRL DPOConfig; cDPO, Mitchell 2023)
 * @param referenceFree        treat the reference as uniform, i.e. reference log-probabilities 0 (default false: TRL DPOConfig)
 * @param precomputeReference  compute reference log-probabilities once before training so only the policy is held (default true: issue 6; TRL's precompute_ref_log_probs)
 * @param learningRate         AdamW learning rate (default 1e-6: TRL DPOConfig, DPO paper)
 * @param batchSize            preference pairs per optimizer step (default 64: DPO paper)
 * @param epochs               passes over the pairs (default 1: TRL's num_train_epochs for DPO recipes)
 * @param maxLength            most tokens of prompt + response (default 512: half of TRL DPOConfig max_length 1024, enough for stories260K context 512)
 * @param seed                 shuffling seed (default 42: TRL TrainingArguments)
 * @param maxSteps             optimizer steps; 0 = from epochs (default 0, as TRL's max_steps -1)
 * @param warmupRatio          share of steps of linear warmup before cosine decay (default 0.1: TRL DPO recipes, e.g. zephyr)
 * @param maxGradNorm          global gradient-norm clip (default 1.0: TRL/HF Trainer)
 */
@RecordBuilder
public record DpoConfig(
        double beta,
        DpoLossType lossType,
        double labelSmoothing,
        boolean referenceFree,
        boolean precomputeReference,
        double learningRate,
        int batchSize,
        int epochs,
        int maxLength,
        long seed,
        int maxSteps,
        double warmupRatio,
        double maxGradNorm) implements DpoConfigBuilder.With {

    public DpoConfig {
        Checks.check(lossType != null, "loss must be sigmoid or ipo");
        Checks.check(beta > 0 && Double.isFinite(beta), "beta must be > 0, got " + beta);
        Checks.check(labelSmoothing >= 0 && labelSmoothing < 0.5, "label-smoothing must be in [0, 0.5), got " + labelSmoothing);
        Checks.check(labelSmoothing == 0 || lossType == DpoLossType.SIGMOID,
                "label-smoothing applies to the sigmoid loss only, not " + lossType.cliName());
        Checks.check(batchSize >= 1, "batch-size must be >= 1, got " + batchSize);
        Checks.trainingRun(learningRate, epochs, maxSteps, maxLength, warmupRatio, maxGradNorm);
    }

    /** The defaults documented above, one per component. */
    public static DpoConfig defaults() {
        return DpoConfigBuilder.builder()
                .beta(0.1).lossType(DpoLossType.SIGMOID).labelSmoothing(0.0).referenceFree(false).precomputeReference(true)
                .learningRate(1e-6).batchSize(64).epochs(1).maxLength(512).seed(42).maxSteps(0).warmupRatio(0.1).maxGradNorm(1.0)
                .build();
    }

    /**
     * Values that learn on stories260K-sized models: beta 0.1, lr 2e-4, batch 16, 16 steps, 128 tokens,
     * the rest as {@link #defaults()} (PreferenceLearningTest: mention rate 0.115 -> 0.440 at 2.7 nats of
     * KL; the same as serve's LoopConfig defaults). The paper's 1e-6 barely moves such a model.
     */
    public static DpoConfig smallModels() {
        return defaults().withBeta(0.1).withLearningRate(2e-4).withBatchSize(16).withMaxSteps(16).withMaxLength(128);
    }

    /** IPO is defined on per-token average log-probabilities (TRL divides by length for ipo); DPO on sums. */
    public boolean lengthNormalized() {
        return lossType == DpoLossType.IPO;
    }
}
