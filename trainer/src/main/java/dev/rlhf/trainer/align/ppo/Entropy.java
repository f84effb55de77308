package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.Masked;

/**
 * Entropy of the policy's next-token distribution, {@code H = -sum_v p_v log p_v} from logits via
 * log_softmax (stable), per token and as the masked mean over response tokens
 * ({@code objective/entropy}).
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

    /** Mean entropy over the masked positions, as a number (not differentiated). */
    public static double maskedMean(NDArray logits, NDArray mask) {
        try (NDManager scratch = logits.getManager().newSubManager()) {
            NDArray l = Functions.detached(logits, scratch);
            NDArray h = perToken(l);
            return Masked.mean(h, Masked.asFloat(mask, h)).toType(DataType.FLOAT64, false).getDouble();
        }
    }
}
