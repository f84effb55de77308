package dev.rlhf.trainer.align.kto;

import dev.rlhf.trainer.align.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Hyperparameters of Kahneman-Tversky optimisation (the {@code kto} command): unpaired desirable and
 * undesirable completions, e.g. thumbs up and down.
 *
 * @param beta               strength of the implicit KL constraint (default 0.1: TRL KTOConfig.beta, KTO paper)
 * @param desirableWeight    weight of a desirable example's loss (default 1.0: TRL KTOConfig.desirable_weight)
 * @param undesirableWeight  weight of an undesirable example's loss (default 1.0: TRL KTOConfig.undesirable_weight)
 * @param learningRate       AdamW learning rate (default 1e-6: TRL KTOConfig.learning_rate)
 * @param batchSize          examples per optimizer step; the KL reference point is estimated over them, so at least 2
 *                           (default 8: TRL TrainingArguments per_device_train_batch_size; KTO needs > 1)
 * @param epochs             passes over the examples (default 1: TRL's num_train_epochs for KTO recipes)
 * @param maxLength          most tokens of prompt + completion (default 512: as DpoConfig; TRL KTOConfig max_length 1024 is
 *                           longer than stories260K's context)
 * @param seed               shuffling seed (default 42: TRL TrainingArguments)
 * @param maxSteps           optimizer steps; 0 = from epochs (default 0, as TRL's max_steps -1)
 * @param warmupRatio        share of steps of linear warmup before cosine decay (default 0.1: as DpoConfig, TRL's KTO recipes)
 * @param maxGradNorm        global gradient-norm clip (default 1.0: TRL/HF Trainer)
 */
@RecordBuilder
public record KtoConfig(
        double beta,
        double desirableWeight,
        double undesirableWeight,
        double learningRate,
        int batchSize,
        int epochs,
        int maxLength,
        long seed,
        int maxSteps,
        double warmupRatio,
        double maxGradNorm) implements KtoConfigBuilder.With {

    public KtoConfig {
        Checks.check(beta > 0 && Double.isFinite(beta), "beta must be > 0, got " + beta);
        Checks.check(desirableWeight >= 0 && Double.isFinite(desirableWeight), "desirable-weight must be >= 0, got " + desirableWeight);
        Checks.check(undesirableWeight >= 0 && Double.isFinite(undesirableWeight), "undesirable-weight must be >= 0, got " + undesirableWeight);
        Checks.check(desirableWeight + undesirableWeight > 0, "desirable-weight and undesirable-weight must not both be 0");
        Checks.check(learningRate > 0 && Double.isFinite(learningRate), "lr must be > 0, got " + learningRate);
        Checks.check(batchSize >= 2, "batch-size must be >= 2 (the KL reference point is estimated across the batch), got " + batchSize);
        Checks.check(epochs >= 1, "epochs must be >= 1, got " + epochs);
        Checks.check(maxLength >= 2, "max-length must be >= 2, got " + maxLength);
        Checks.check(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        Checks.check(warmupRatio >= 0 && warmupRatio < 1, "warmup-ratio must be in [0, 1), got " + warmupRatio);
        Checks.check(maxGradNorm >= 0, "max-grad-norm must be >= 0, got " + maxGradNorm);
    }

    /** The defaults documented above, one per component. */
    public static KtoConfig defaults() {
        return KtoConfigBuilder.builder()
                .beta(0.1).desirableWeight(1.0).undesirableWeight(1.0).learningRate(1e-6).batchSize(8).epochs(1)
                .maxLength(512).seed(42).maxSteps(0).warmupRatio(0.1).maxGradNorm(1.0)
                .build();
    }

    /**
     * Values that learn on stories260K-sized models (KtoLearningTest, trainer/README.md "KTO"): as DPO's
     * {@code smallModels()} (lr 2e-4, batch 16, 128 tokens) with more steps, since one KTO example carries one label where a
     * DPO pair carries a comparison; the rest as {@link #defaults()}. The paper's 1e-6 barely moves such a model.
     */
    public static KtoConfig smallModels() {
        return defaults().withLearningRate(SMALL_LEARNING_RATE).withBatchSize(SMALL_BATCH).withMaxSteps(SMALL_STEPS).withMaxLength(128);
    }

    /** The small-model values (see {@link #smallModels()}), measured by KtoLearningTest. */
    static final double SMALL_LEARNING_RATE = 2e-4;
    static final int SMALL_BATCH = 16;
    static final int SMALL_STEPS = 32;
}
