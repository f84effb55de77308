package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;

/**
 * Entropy of the policy's next-token distribution, {@code H = -sum_v p_v log p_v} from logits via
 * log_softmax (stable), per token; its mean over response tokens is {@code objective/entropy}.
 */
public final class Entropy {

    public static final String METRIC = "objective/entropy";

    private Entropy() {
    }

    /** Entropy per position [B, T] of logits [B, T, V]; differentiable. */
    public static NDArray perToken(NDArray logits) {
        return ofLogprobs(logits.logSoftmax(-1));
    }

    /** As {@link #perToken}, from {@code log_softmax(logits)} [B, T, V] already computed. */
    public static NDArray ofLogprobs(NDArray logp) {
        return logp.exp().mul(logp).sum(new int[] {-1}).neg();
    }
}
