package dev.rlhf.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/** Whole-model gradient utilities. */
public final class Gradients {

    private Gradients() {}

    /**
     * Scales all gradients so their global L2 norm is at most {@code maxNorm} (as PyTorch's
     * {@code clip_grad_norm_}) and returns the norm before clipping.
     */
    public static float clipGlobalNorm(Collection<NDArray> parameters, float maxNorm, NDManager scratchParent) {
        try (NDManager scratch = scratchParent.newSubManager()) {
            double sumSquares = 0;
            for (NDArray p : parameters) {
                NDArray grad = p.getGradient();
                grad.attach(scratch); // frees this handle (not the gradient) with the scratch scope
                sumSquares += grad.square().sum().getFloat();
            }
            float norm = (float) Math.sqrt(sumSquares);
            if (maxNorm > 0 && norm > maxNorm) {
                float scale = maxNorm / (norm + 1e-6f);
                for (NDArray p : parameters) {
                    NDArray grad = p.getGradient();
                    grad.attach(scratch); // frees this handle (not the gradient) with the scratch scope
                    grad.muli(scale);
                }
            }
            return norm;
        }
    }
}
