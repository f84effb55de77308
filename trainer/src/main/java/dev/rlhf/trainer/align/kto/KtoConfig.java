package dev.rlhf.trainer.align.kto;

import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Hyperparameters of Kahneman-Tversky optimisation (the {@code kto} command): unpaired desirable and
 * undesirable completions, e.g. thumbs up and down.
 *
 * @param beta               strength of the implicit KL constraint (default 0.1: TRL KTOConfig.beta, KTO paper)
 * @param desirableWeight    weight of a desirable example's loss (default 1.0: TRL KTOConfig.desirable_weight)
 * @param undesirableWeight  weight of an undesirable example's loss (default 1.0: TRL KTOConfig.undesirable_weight)
 * @param balanceWeights     multiply the weight of the rarer label by n_common / n_rare, so that desirable_weight n_D =
 *                           undesirable_weight n_U: the lower end of the range [1, 4/3] TRL recommends for that ratio (KTO paper
 *                           sec. 4.3; TRL warns outside it) (default false: TRL leaves the weights to the user)
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
        boolean balanceWeights,
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
        Checks.check(batchSize >= 2, "batch-size must be >= 2 (the KL reference point is estimated across the batch), got " + batchSize);
        Checks.trainingRun(learningRate, epochs, maxSteps, maxLength, warmupRatio, maxGradNorm);
    }

    /** The defaults documented above, one per component. */
    public static KtoConfig defaults() {
        return KtoConfigBuilder.builder()
                .beta(0.1).desirableWeight(1.0).undesirableWeight(1.0).balanceWeights(false).learningRate(1e-6).batchSize(8).epochs(1)
                .maxLength(512).seed(42).maxSteps(0).warmupRatio(0.1).maxGradNorm(1.0)
                .build();
    }

    /**
     * Values that learn on stories260K-sized models: lr 1e-4, batch 16, 64 steps (about one pass over 960 thumbs), 128 tokens,
     * balanced weights, the rest as {@link #defaults()}. Measured on KtoLearningTest's thumbs (187 up, 773 down; KtoSweepProbe):
     * mention rate 0.115 -> 0.540 at 3.1 nats of KL to SFT, where DPO's small values reach 0.440 at 2.7. With weights 1, 1 the
     * 4:1 majority of thumbs down drove every log-probability down (0.165 at 25 nats); lr 2e-4 for 32 steps gave 0.530 at
     * 3.6 nats, 1.5e-4 for 48 steps 0.600 at 4.2. The paper's 1e-6 barely moves such a model.
     */
    public static KtoConfig smallModels() {
        return defaults().withLearningRate(1e-4).withBatchSize(16).withMaxSteps(64).withMaxLength(128).withBalanceWeights(true);
    }

    /**
     * The weights applied to data with {@code desirable} and {@code undesirable} examples: the configured ones, the rarer
     * label's multiplied by n_common / n_rare when {@link #balanceWeights()}.
     *
     * @return {desirable weight, undesirable weight}
     */
    public double[] effectiveWeights(long desirable, long undesirable) {
        if (!balanceWeights || desirable == 0 || undesirable == 0) {
            return new double[] {desirableWeight, undesirableWeight};
        }
        return new double[] {desirableWeight * Math.max(1.0, undesirable / (double) desirable),
                undesirableWeight * Math.max(1.0, desirable / (double) undesirable)};
    }
}
