package dev.rlhf.trainer.training;

/** Validation of config records: a bad value fails with a message naming the option. */
public final class Checks {

    private Checks() {
    }

    public static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The settings every preference trainer (reward model, DPO, KTO) shares: learning rate, passes, step cap,
     * sequence length, warm-up and gradient clipping, each failing with the option's name.
     */
    public static void trainingRun(double learningRate, int epochs, int maxSteps, int maxLength, double warmupRatio, double maxGradNorm) {
        check(learningRate > 0 && Double.isFinite(learningRate), "lr must be > 0, got " + learningRate);
        check(epochs >= 1, "epochs must be >= 1, got " + epochs);
        check(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        check(maxLength >= 2, "max-length must be >= 2, got " + maxLength);
        check(warmupRatio >= 0 && warmupRatio < 1, "warmup-ratio must be in [0, 1), got " + warmupRatio);
        check(maxGradNorm >= 0, "max-grad-norm must be >= 0, got " + maxGradNorm);
    }
}
