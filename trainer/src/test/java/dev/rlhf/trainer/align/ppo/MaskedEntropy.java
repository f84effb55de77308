package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.Masked;

/** {@link Entropy#perToken}'s mean over the masked positions as a number, for tests of the entropy formula and of manager scoping. */
public final class MaskedEntropy {
    private MaskedEntropy() {
    }

    /** Mean entropy over the masked positions (not differentiated). */
    public static double mean(NDArray logits, NDArray mask) {
        try (NDManager scratch = logits.getManager().newSubManager()) {
            NDArray l = Functions.detached(logits, scratch);
            NDArray h = Entropy.perToken(l);
            return Masked.mean(h, Masked.asFloat(mask, h)).toType(DataType.FLOAT64, false).getDouble();
        }
    }
}
