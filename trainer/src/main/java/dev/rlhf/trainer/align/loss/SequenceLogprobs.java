package dev.rlhf.trainer.align.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Log-probabilities of given tokens under a model's logits: per token, and summed or averaged per
 * sequence over the positions a mask marks (the response; prompt and padding masked out).
 *
 * <p>Alignment: {@code logits[b, t]} is the distribution that {@code targets[b, t]} was drawn from.
 * For a decoder run over a whole sequence, use {@link #ofSequence}, which shifts by one.
 * Computed as {@code log_softmax(logits)} gathered at the targets, which is stable for any logit
 * scale. Differentiable with respect to the logits; results live in the logits' manager.
 */
public final class SequenceLogprobs {

    private SequenceLogprobs() {
    }

    /**
     * @param perToken log p(target) at each position [B, T], 0 where the mask is 0
     * @param sum      masked sum per sequence [B]: the sequence log-likelihood (DPO, reward-free scoring)
     * @param mean     masked mean per sequence [B]: the per-token average (IPO, length-normalised scores)
     * @param count    masked tokens per sequence [B]
     */
    public record Result(NDArray perToken, NDArray sum, NDArray mean, NDArray count) {
    }

    /**
     * @param logits  [B, T, V]
     * @param targets token ids [B, T] (any integer type; ids at masked positions are ignored, so
     *                padding ids such as -100 are fine)
     * @param mask    [B, T], 1 for the tokens that count
     */
    public static Result of(NDArray logits, NDArray targets, NDArray mask) {
        NDArray perToken = perToken(logits, targets, mask);
        NDArray m = Masked.asFloat(mask, perToken);
        NDArray count = m.sum(new int[] {1});
        NDArray sum = perToken.sum(new int[] {1});
        return new Result(perToken, sum, sum.div(count.maximum(1e-12f)), count);
    }

    /** Per-token log-probabilities [B, T]; 0 at masked positions. */
    public static NDArray perToken(NDArray logits, NDArray targets, NDArray mask) {
        check(logits, targets, mask);
        return perTokenOfLogprobs(logits.logSoftmax(-1), targets, mask);
    }

    /**
     * As {@link #perToken}, from {@code log_softmax(logits)} [B, T, V] already computed (to share it with an
     * entropy): the same values to the bit.
     */
    public static NDArray perTokenOfLogprobs(NDArray logprobs, NDArray targets, NDArray mask) {
        check(logprobs, targets, mask);
        NDManager owner = logprobs.getManager();
        NDArray maskLong = Functions.convert(mask, DataType.INT64, owner);
        NDArray safeTargets = Functions.convert(targets, DataType.INT64, owner).mul(maskLong); // masked ids -> 0
        NDArray logp = logprobs.gather(safeTargets.expandDims(-1), -1).squeeze(-1);
        return logp.mul(Masked.asFloat(mask, logp));
    }

    /**
     * For logits [B, L, V] of a decoder run over tokens [B, L]: position t predicts token t + 1, so
     * this scores {@code tokens[:, 1:]} with {@code logits[:, :-1]}; {@code tokenMask} [B, L] marks the
     * tokens of {@code tokens} to score (e.g. the response), and its first column is ignored.
     */
    public static Result ofSequence(NDArray logits, NDArray tokens, NDArray tokenMask) {
        NDManager owner = logits.getManager(); // slices of long-lived tokens and masks belong to the step
        NDIndex next = new NDIndex(":, 1:");
        return of(logits.get(new NDIndex(":, :-1, :")), Functions.constant(tokens, owner).get(next),
                Functions.constant(tokenMask, owner).get(next));
    }

    private static void check(NDArray logits, NDArray targets, NDArray mask) {
        if (logits.getShape().dimension() != 3) {
            throw new IllegalArgumentException("logits must be [B, T, V], got " + logits.getShape());
        }
        if (!targets.getShape().equals(logits.getShape().slice(0, 2)) || !mask.getShape().equals(targets.getShape())) {
            throw new IllegalArgumentException("targets " + targets.getShape() + " and mask " + mask.getShape()
                    + " must both be [B, T] of logits " + logits.getShape());
        }
    }
}
