package dev.rlhf.trainer.align.ppo;

/**
 * GRPO's group-relative advantages (Shao et al. 2024, DeepSeekMath; TRL GRPOTrainer
 * {@code _compute_advantages}): {@code A_i = (r_i - mean(group)) / (std(group) + eps)} with the
 * sample standard deviation (Bessel-corrected, as {@code torch.std}) and eps 1e-4 (TRL's). With
 * {@code scaleByStd} false, Dr. GRPO's unbiased form (Liu et al. 2025; TRL {@code scale_rewards=False}):
 * {@code A_i = r_i - mean(group)}. A group whose rewards are all equal gets advantage 0 either way
 * (numerator 0, denominator eps), never NaN.
 */
public final class GrpoAdvantages {

    /** Added to the group's std before dividing (TRL GRPOTrainer's 1e-4). */
    public static final double EPS = 1e-4;

    private GrpoAdvantages() {
    }

    /**
     * @param rewards    per-sequence rewards, the K samples of each prompt consecutive
     * @param k          samples per prompt, >= 2
     * @param scaleByStd divide by the group's std + eps (GRPO) or not (Dr. GRPO)
     */
    public static double[] compute(double[] rewards, int k, boolean scaleByStd) {
        Groups.check(rewards, k);
        double[] out = new double[rewards.length];
        for (int from = 0; from < rewards.length; from += k) {
            double mean = 0;
            for (int i = from; i < from + k; i++) {
                mean += rewards[i];
            }
            mean /= k;
            double squares = 0;
            for (int i = from; i < from + k; i++) {
                squares += (rewards[i] - mean) * (rewards[i] - mean);
            }
            double std = Math.sqrt(squares / (k - 1));
            for (int i = from; i < from + k; i++) {
                double centred = rewards[i] - mean;
                out[i] = scaleByStd ? centred / (std + EPS) : centred;
            }
        }
        return out;
    }
}
