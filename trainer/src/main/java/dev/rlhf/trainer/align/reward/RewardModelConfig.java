package dev.rlhf.trainer.align.reward;

import dev.rlhf.trainer.align.Checks;

/**
 * Hyperparameters of reward-model training on rankings (the {@code reward} command).
 *
 * @param margin          required reward gap in the pairwise loss (default 0: InstructGPT's loss; Llama 2 uses a rating-dependent margin)
 * @param learningRate    AdamW learning rate (default 9e-6: InstructGPT App. C.2, 6B reward model)
 * @param weightDecay     AdamW weight decay (default 0.0: InstructGPT does not report one; TRL RewardConfig's default)
 * @param epochs          passes over the rankings (default 1: InstructGPT trains one epoch, more overfits)
 * @param batchSize       rankings per optimizer step, each with all its pairs (default 64: InstructGPT App. C.2)
 * @param maxLength       most tokens of prompt + response scored (default 512: TRL RewardConfig max_length; capped by the model context)
 * @param normalizeToMean shift rewards to mean 0 on a reference set after training (default true: InstructGPT normalises on demonstrations)
 * @param seed            shuffling seed (default 42, as TRL's TrainingArguments)
 */
public record RewardModelConfig(
        double margin,
        double learningRate,
        double weightDecay,
        int epochs,
        int batchSize,
        int maxLength,
        boolean normalizeToMean,
        long seed) {

    public RewardModelConfig {
        Checks.check(margin >= 0 && Double.isFinite(margin), "margin must be >= 0, got " + margin);
        Checks.check(learningRate > 0 && Double.isFinite(learningRate), "lr must be > 0, got " + learningRate);
        Checks.check(weightDecay >= 0, "weight-decay must be >= 0, got " + weightDecay);
        Checks.check(epochs >= 1, "epochs must be >= 1, got " + epochs);
        Checks.check(batchSize >= 1, "batch-size must be >= 1, got " + batchSize);
        Checks.check(maxLength >= 2, "max-length must be >= 2, got " + maxLength);
    }

    public static RewardModelConfig defaults() {
        return new RewardModelConfig(0.0, 9e-6, 0.0, 1, 64, 512, true, 42);
    }

    public RewardModelConfig withMargin(double v) {
        return new RewardModelConfig(v, learningRate, weightDecay, epochs, batchSize, maxLength, normalizeToMean, seed);
    }

    public RewardModelConfig withLearningRate(double v) {
        return new RewardModelConfig(margin, v, weightDecay, epochs, batchSize, maxLength, normalizeToMean, seed);
    }

    public RewardModelConfig withEpochs(int v) {
        return new RewardModelConfig(margin, learningRate, weightDecay, v, batchSize, maxLength, normalizeToMean, seed);
    }

    public RewardModelConfig withBatchSize(int v) {
        return new RewardModelConfig(margin, learningRate, weightDecay, epochs, v, maxLength, normalizeToMean, seed);
    }
}
