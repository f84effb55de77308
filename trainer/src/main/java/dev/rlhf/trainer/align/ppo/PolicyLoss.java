package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.Masked;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's clipped surrogate (Schulman et al. 2017), per token, as TRL and OpenRLHF:
 * {@code ratio = exp(logp - old_logp)}, loss per token
 * {@code max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps))} (the pessimistic bound), averaged over
 * all response tokens of the minibatch (token-level masked mean).
 *
 * <p>Metrics: {@code loss/policy}; {@code policy/approxkl} = 0.5 mean((logp - old_logp)^2);
 * {@code policy/clipfrac} = share of tokens where the clipped term is the larger one (its gradient
 * is cut).
 */
public final class PolicyLoss {

    public static final String LOSS = "loss/policy";
    public static final String APPROX_KL = "policy/approxkl";
    public static final String CLIP_FRAC = "policy/clipfrac";

    private PolicyLoss() {
    }

    /**
     * @param logp       log-probabilities of the sampled tokens under the current policy [B, T] (differentiable)
     * @param oldLogp    the same under the policy that sampled them [B, T] (constants)
     * @param advantages [B, T] (constants, usually whitened)
     * @param mask       response tokens [B, T]
     * @param clipRange  eps
     */
    public static LossOutput compute(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray mask, double clipRange) {
        return compute(logp, oldLogp, advantages, mask, clipRange, PolicyLossNormalizer.TOKENS, 0);
    }

    /**
     * As {@link #compute(NDArray, NDArray, NDArray, NDArray, double)}, with the summed per-token loss
     * divided as {@code normalizer} says: by the minibatch's response tokens ({@code TOKENS}, the
     * masked mean), or by {@code B * maxNewTokens} ({@code DR_GRPO}, TRL's dr_grpo).
     *
     * @param maxNewTokens the rollout's response length limit (used by {@code DR_GRPO} only)
     */
    public static LossOutput compute(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray mask, double clipRange,
                                     PolicyLossNormalizer normalizer, int maxNewTokens) {
        if (!logp.getShape().equals(oldLogp.getShape()) || !logp.getShape().equals(advantages.getShape())
                || !logp.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException("logp " + logp.getShape() + ", old logp " + oldLogp.getShape()
                    + ", advantages " + advantages.getShape() + " and mask " + mask.getShape() + " must match");
        }
        NDManager owner = logp.getManager();
        NDArray logRatio = logp.sub(Functions.constant(oldLogp, owner));
        NDArray ratio = logRatio.exp();
        NDArray a = Functions.constant(advantages, owner);
        NDArray unclipped = a.neg().mul(ratio);
        NDArray clipped = a.neg().mul(ratio.clip(1 - clipRange, 1 + clipRange));
        NDArray loss = switch (normalizer) {
            case TOKENS -> Masked.mean(unclipped.maximum(clipped), mask);
            case DR_GRPO -> {
                if (maxNewTokens < 1) {
                    throw new IllegalArgumentException("dr_grpo normalises by max-new-tokens, got " + maxNewTokens);
                }
                long rows = logp.getShape().get(0);
                NDArray summed = unclipped.maximum(clipped).mul(Masked.asFloat(mask, unclipped)).sum();
                yield Functions.scale(summed, 1.0 / (rows * (double) maxNewTokens));
            }
        };

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(LOSS, Functions.scalar(loss));
        try (NDManager scratch = owner.newSubManager()) {
            NDArray lr = Functions.detached(logRatio, scratch);
            NDArray m = Masked.asFloat(mask, lr);
            NDArray clipIndicator = Functions.detached(clipped, scratch)
                    .gt(Functions.detached(unclipped, scratch)).toType(lr.getDataType(), false);
            metrics.put(APPROX_KL, 0.5 * Masked.mean(lr.square(), m).toType(DataType.FLOAT64, false).getDouble());
            metrics.put(CLIP_FRAC, Masked.mean(clipIndicator, m).toType(DataType.FLOAT64, false).getDouble());
        }
        return new LossOutput(loss, metrics);
    }
}
