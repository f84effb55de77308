package dev.rlhf.trainer.align.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.rlhf.trainer.model.Scalars;

/** Small numerically stable building blocks shared by the losses. */
public final class Functions {

    private Functions() {
    }

    /**
     * log(sigmoid(x)) = -softplus(-x), stable for large |x| (PyTorch's softplus switches to the
     * identity above its threshold) and with the exact gradient sigmoid(-x) everywhere, including 0.
     */
    public static NDArray logSigmoid(NDArray x) {
        return Activation.softPlus(x.neg()).neg();
    }

    /**
     * Reads a scalar (or the mean of an array) as a double without recording anything for autograd:
     * the computation runs on a detached copy in a scratch manager that is closed before returning.
     */
    public static double scalar(NDArray x) {
        try (NDManager scratch = x.getManager().newSubManager()) {
            NDArray d = x.stopGradient();
            d.attach(scratch);
            NDArray wide = d.toType(DataType.FLOAT64, false);
            return d.size() == 1 ? wide.toDoubleArray()[0] : wide.mean().getDouble();
        }
    }

    /**
     * {@code x * c} keeping x's data type (a Java double becomes a float64 scalar, and PyTorch
     * promotes a 0-dim float32 times a 0-dim float64 to float64, which a scalar loss must avoid), with
     * the factor in memory PyTorch owns, so that it is safe on a path autograd records ({@link Scalars}).
     */
    public static NDArray scale(NDArray x, double c) {
        return Scalars.times(x, c);
    }

    /**
     * {@code x} as a constant of a computation owned by {@code owner}: a detached handle (sharing
     * storage) attached to {@code owner}, so a long-lived input (precomputed reference
     * log-probabilities, rollout tensors) does not collect one new array per step.
     */
    public static NDArray constant(NDArray x, NDManager owner) {
        NDArray d = x.stopGradient();
        d.attach(owner);
        return d;
    }

    /** {@code x} as {@code type}; a converted copy is owned by {@code owner}, never by x's manager. */
    public static NDArray convert(NDArray x, DataType type, NDManager owner) {
        if (x.getDataType() == type) {
            return x;
        }
        NDArray converted = x.toType(type, false);
        converted.attach(owner);
        return converted;
    }

    /** A detached copy of {@code x} owned by {@code scratch} (for metrics that must not enter the graph). */
    public static NDArray detached(NDArray x, NDManager scratch) {
        NDArray d = x.stopGradient();
        d.attach(scratch);
        return d;
    }
}
