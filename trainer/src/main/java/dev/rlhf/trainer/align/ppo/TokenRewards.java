package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.Masked;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's per-token rewards for right-padded responses (InstructGPT, Ziegler et al. 2019):
 * {@code -kl_coef * KL_t} at every response token, plus the reward model's score of the whole
 * response at its last real token. The score is first clipped to [-c, c] (OpenRLHF's
 * {@code reward_clip_range}) and then, for responses that did not end with EOS, lowered by a
 * penalty (TRL's {@code missing_eos_penalty}), so the penalty always applies in full.
 * Nothing here is differentiated: the results are constants of the PPO losses.
 */
public final class TokenRewards {

    public static final String KL = "objective/kl";
    public static final String SCORES = "objective/scores";
    public static final String NON_SCORE_REWARD = "objective/non_score_reward";
    public static final String RLHF_REWARD = "objective/rlhf_reward";
    public static final String KL_COEF = "kl_coef";

    private TokenRewards() {
    }

    /**
     * @param rewards per-token rewards [B, T] (0 at masked positions)
     * @param scores  the scores as used, after clipping and the EOS penalty [B]
     * @param klSum   masked sum of the per-token KL per sequence [B] (for the KL controller)
     * @param metrics {@code objective/kl} (mean of klSum), {@code objective/scores},
     *                {@code objective/non_score_reward} (mean of -kl_coef * klSum),
     *                {@code objective/rlhf_reward} (mean of score - kl_coef * klSum), {@code kl_coef}
     */
    public record Result(NDArray rewards, NDArray scores, NDArray klSum, Map<String, Double> metrics) {
    }

    /**
     * @param kl                per-token KL estimates [B, T] (see {@link KlEstimator})
     * @param mask              response tokens [B, T], right-padded; every row needs at least one token
     * @param scores            reward-model scores of the responses [B]
     * @param endedWithEos      per row, whether the response ended with EOS; null when unknown (no penalty)
     * @param klCoef            the current coefficient (from the {@link KlController})
     * @param rewardClip        c > 0 to clip scores to [-c, c]; null: no clipping
     * @param missingEosPenalty subtracted from the score of a response without EOS; null: none
     */
    public static Result compute(NDArray kl, NDArray mask, NDArray scores, boolean[] endedWithEos, double klCoef,
                                 Double rewardClip, Double missingEosPenalty) {
        long batch = kl.getShape().get(0);
        long time = kl.getShape().get(1);
        if (!mask.getShape().equals(kl.getShape()) || !scores.getShape().equals(new Shape(batch))) {
            throw new IllegalArgumentException("kl " + kl.getShape() + " and mask " + mask.getShape()
                    + " must be [B, T] and scores " + scores.getShape() + " [B]");
        }
        if (endedWithEos != null && endedWithEos.length != batch) {
            throw new IllegalArgumentException("EOS flags for " + endedWithEos.length + " rows, batch has " + batch);
        }
        NDManager owner = kl.getManager();
        NDArray k = kl.stopGradient();
        NDArray m = Masked.asFloat(mask, k);
        NDArray maskedKl = k.mul(m);
        NDArray klSum = maskedKl.sum(new int[] {1});

        NDArray s = Functions.convert(Functions.constant(scores, owner), k.getDataType(), owner);
        if (rewardClip != null) {
            if (!(rewardClip > 0)) {
                throw new IllegalArgumentException("reward clip must be > 0, got " + rewardClip);
            }
            s = s.clip(-rewardClip, rewardClip);
        }
        if (missingEosPenalty != null && endedWithEos != null) {
            float[] penalty = new float[(int) batch];
            for (int i = 0; i < batch; i++) {
                penalty[i] = endedWithEos[i] ? 0f : missingEosPenalty.floatValue();
            }
            s = s.sub(Functions.convert(owner.create(penalty), k.getDataType(), owner));
        }

        int[] last = Masked.lastIndex(mask);
        float[] atLast = new float[(int) (batch * time)];
        for (int row = 0; row < batch; row++) {
            if (last[row] < 0) {
                throw new IllegalArgumentException("response " + row + " has no tokens; it cannot receive a score");
            }
            atLast[(int) (row * time + last[row])] = 1f;
        }
        NDArray scoreAtLast = Functions.convert(owner.create(atLast, kl.getShape()), k.getDataType(), owner).mul(s.expandDims(1));
        NDArray rewards = maskedKl.mul(-klCoef).add(scoreAtLast);

        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDManager scratch = owner.newSubManager()) {
            NDArray ks = Functions.detached(klSum, scratch).toType(DataType.FLOAT64, false);
            NDArray ss = Functions.detached(s, scratch).toType(DataType.FLOAT64, false);
            metrics.put(KL, ks.mean().getDouble());
            metrics.put(SCORES, ss.mean().getDouble());
            metrics.put(NON_SCORE_REWARD, ks.mul(-klCoef).mean().getDouble());
            metrics.put(RLHF_REWARD, ss.sub(ks.mul(klCoef)).mean().getDouble());
            metrics.put(KL_COEF, klCoef);
        }
        return new Result(rewards, s, klSum, metrics);
    }
}
