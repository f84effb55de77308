package dev.rlhf.trainer.align.ppo;

/**
 * RLOO's leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics"; TRL RLOOTrainer
 * {@code baseline = (rlhf_reward.sum(0) - rlhf_reward) / (rloo_k - 1)}): for each of the K samples
 * of a prompt, {@code A_i = r_i - mean_{j != i} r_j}, which equals {@code K / (K - 1) * (r_i - mean(r))}.
 * The baseline does not depend on the sample itself, so the estimate stays unbiased.
 */
public final class RlooAdvantages {

    private RlooAdvantages() {
    }

    /**
     * @param rewards per-sequence rewards, the K samples of each prompt consecutive
     *                ({@code [p0 s0, p0 s1, ..., p1 s0, ...]}, as the generator returns them)
     * @param k       samples per prompt, >= 2
     * @return one advantage per sequence
     */
    public static double[] compute(double[] rewards, int k) {
        Groups.check(rewards, k);
        double[] out = new double[rewards.length];
        for (int from = 0; from < rewards.length; from += k) {
            double sum = 0;
            for (int i = from; i < from + k; i++) {
                sum += rewards[i];
            }
            for (int i = from; i < from + k; i++) {
                out[i] = rewards[i] - (sum - rewards[i]) / (k - 1);
            }
        }
        return out;
    }
}
