package dev.rlhf.trainer.training;

/**
 * Linear warmup to the peak rate, then cosine decay to {@code minRatio} of it at the last step
 * (nanoGPT's schedule; decaying to 10% follows Chinchilla).
 */
public record LearningRateSchedule(float peak, int warmupSteps, int totalSteps, float minRatio) {

    /** The rate of 1-based optimizer step {@code step}. */
    public float at(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return peak * step / warmupSteps;
        }
        float min = peak * minRatio;
        if (step >= totalSteps) {
            return min;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return (float) (min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress)));
    }
}
