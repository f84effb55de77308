package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * Per-token estimators of KL(policy || reference) from the log-probabilities of the sampled tokens
 * (Schulman, "Approximating KL divergence", 2020; TRL's and OpenRLHF's {@code kl_estimator}).
 * Both are 0 where the two log-probabilities are equal, so positions where both are 0 (masked)
 * contribute nothing.
 */
public enum KlEstimator {
    /** k1 = log p - log p_ref: unbiased, but negative on single tokens (InstructGPT's per-token penalty). */
    K1,
    /**
     * k3 = (r - 1) - log r with r = p_ref / p: unbiased, never negative, lower variance when p is
     * close to p_ref. Float rounding of exp(x) - 1 - x near x = 0 can dip a hair below 0; that is
     * clamped to 0 (where the exact gradient is 0 too).
     */
    K3;

    /** KL estimate per token, same shape as the inputs, in the manager of {@code logp} (which may carry gradients). */
    public NDArray perToken(NDArray logp, NDArray logpRef) {
        return switch (this) {
            case K1 -> logp.sub(logpRef);
            case K3 -> {
                NDArray logRatio = logp.sub(logpRef).neg(); // computed from logp: results in logp's manager
                yield logRatio.exp().sub(1).sub(logRatio).maximum(0f);
            }
        };
    }

    public static KlEstimator parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown KL estimator '" + name + "', expected k1 or k3", e);
        }
    }
}
