package dev.rlhf.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with a Java number that is safe inside a {@code GradientCollector}.
 *
 * <p>Why: DJL's {@code x.mul(Number)} (and {@code div}, {@code pow}, {@code maximum}, ... with a
 * number) creates a 0-dim array for the number, runs the tensor op and closes that array at once. On
 * the CPU the array's storage is a Java direct buffer that PyTorch does not own ({@code from_blob});
 * closing drops DJL's only reference to it. PyTorch's autograd, however, saved that scalar to compute
 * the backward pass ({@code d(x*c)/dx = c}), so after a garbage collection frees the buffer the
 * backward reads freed memory and the gradient is scaled by whatever was written there since. Seen
 * as identical PPO runs whose gradients differed only in longer runs (a GC had to fall between a
 * forward and its backward). Here the scalar is copied into memory PyTorch allocates and
 * reference-counts, so the graph keeps it alive for as long as it needs it.
 *
 * <p>Operations that PyTorch does not record (no gradient mode, in-place optimizer updates) or whose
 * backward needs no operand ({@code add}, {@code sub}) may use DJL's number overloads directly.
 */
public final class Scalars {

    private Scalars() {
    }

    /** {@code x * c}, in x's data type (the factor is rounded to it, as PyTorch does with a 0-dim operand). */
    public static NDArray times(NDArray x, double c) {
        try (NDArray factor = of(x, c)) {
            return x.mul(factor);
        }
    }

    /** {@code x / c}, in x's data type. */
    public static NDArray dividedBy(NDArray x, double c) {
        try (NDArray divisor = of(x, c)) {
            return x.div(divisor);
        }
    }

    /**
     * {@code c} as a 0-dim array of x's data type in x's manager, in memory PyTorch owns: the copy
     * ({@code toType} with copy) is allocated by PyTorch, unlike the Java buffer behind {@code create}.
     */
    public static NDArray of(NDArray x, double c) {
        try (NDArray javaBacked = x.getManager().create(c)) {
            return javaBacked.toType(x.getDataType(), true);
        }
    }
}
