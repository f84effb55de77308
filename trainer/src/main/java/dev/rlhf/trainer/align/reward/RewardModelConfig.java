package dev.rlhf.trainer.align.reward;

import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Hyperparameters of reward-model training on rankings (the {@code reward} command).
 *
 * @param margin          required reward gap in the pairwise loss (default 0: InstructGPT's loss; Llama 2 uses a rating-dependent margin)
 * @param marginFromData  instead of {@code margin}, each pair's own margin from the data (a {@code pairs} line's {@code margin},
 *                        a graded choice's strength, a rating difference), 0 where it has none: Llama 2's m(r), as TRL's
 *                        RewardTrainer subtracts a {@code margin} column (default false: InstructGPT's loss)
 * @param learningRate    AdamW learning rate (default 9e-6: InstructGPT App. C.2, 6B reward model)
 * @param weightDecay     AdamW weight decay (default 0.0: InstructGPT does not report one; TRL RewardConfig's default)
 * @param epochs          passes over the rankings (default 1: InstructGPT trains one epoch, more overfits)
 * @param batchSize       rankings per optimizer step, each with all its pairs (default 64: InstructGPT App. C.2)
 * @param maxLength       most tokens of prompt + response scored (default 512: TRL RewardConfig max_length; capped by the model context)
 * @param normalizeToMean shift rewards to mean 0 on a reference set after training (default true: InstructGPT normalises on demonstrations)
 * @param seed            shuffling seed (default 42, as TRL's TrainingArguments)
 * @param maxSteps        optimizer steps; 0 = from epochs (default 0, as TRL's max_steps -1)
 * @param evalFraction    share of the prompts held out for evaluation accuracy (default 0.1; InstructGPT validates on held-out comparisons)
 * @param warmupRatio     share of steps of linear warmup before cosine decay (default 0.03: Stanford Alpaca / TRL recipes)
 * @param maxGradNorm     global gradient-norm clip (default 1.0: TRL/HF Trainer)
 */
@RecordBuilder
public record RewardModelConfig(
        double margin,
        boolean marginFromData,
        double learningRate,
        double weightDecay,
        int epochs,
        int batchSize,
        int maxLength,
        boolean normalizeToMean,
        long seed,
        int maxSteps,
        double evalFraction,
        double warmupRatio,
        double maxGradNorm) implements RewardModelConfigBuilder.With {

    public RewardModelConfig {
        Checks.check(margin >= 0 && Double.isFinite(margin), "margin must be >= 0, got " + margin);
        Checks.check(!marginFromData || margin == 0, "margin is either a number or from-data, not both");
        Checks.check(weightDecay >= 0, "weight-decay must be >= 0, got " + weightDecay);
        Checks.check(batchSize >= 1, "batch-size must be >= 1, got " + batchSize);
        Checks.check(evalFraction >= 0 && evalFraction < 1, "eval-fraction must be in [0, 1), got " + evalFraction);
        Checks.trainingRun(learningRate, epochs, maxSteps, maxLength, warmupRatio, maxGradNorm);
    }

    /** The defaults documented above, one per component. */
    public static RewardModelConfig defaults() {
        return RewardModelConfigBuilder.builder()
                .margin(0.0).marginFromData(false).learningRate(9e-6).weightDecay(0.0).epochs(1).batchSize(64).maxLength(512)
                .normalizeToMean(true).seed(42).maxSteps(0).evalFraction(0.1).warmupRatio(0.03).maxGradNorm(1.0)
                .build();
    }

    /**
     * Values that learn on stories260K-sized models (about 260K parameters) in tens of steps: lr 1e-3,
     * batch 16, 40 steps, warmup 0.05, 128 tokens, the rest as {@link #defaults()} (PreferenceLearningTest:
     * held-out accuracy 0.984; the same as serve's LoopConfig defaults). At the paper's 9e-6 such a model
     * stays near chance for that many steps (trainer/README.md, "Presets").
     */
    public static RewardModelConfig smallModels() {
        return defaults().withLearningRate(1e-3).withBatchSize(16).withMaxSteps(40).withWarmupRatio(0.05).withMaxLength(128);
    }
}
