package dev.rlhf.trainer.align.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Reductions over the positions a mask marks as real (1) and not padding or prompt (0), as TRL's
 * {@code masked_mean} / {@code masked_var} / {@code masked_whiten}. Results live in the manager of
 * {@code values}; masks may be boolean, integer or floating point.
 */
public final class Masked {

    /** Added to the variance before the square root when whitening (TRL's 1e-8). */
    public static final double WHITEN_EPS = 1e-8;

    private Masked() {
    }

    /** The mask as the floating-point type of {@code values}; a converted copy belongs to values' manager. */
    public static NDArray asFloat(NDArray mask, NDArray values) {
        return Functions.convert(mask, values.getDataType(), values.getManager());
    }

    /** Sum of masked values along {@code axis}. */
    public static NDArray sum(NDArray values, NDArray mask, int axis) {
        return values.mul(asFloat(mask, values)).sum(new int[] {axis});
    }

    /** Mean of masked values along {@code axis}; a row with no real position gives 0, not NaN. */
    public static NDArray mean(NDArray values, NDArray mask, int axis) {
        NDArray m = asFloat(mask, values);
        return values.mul(m).sum(new int[] {axis}).div(m.sum(new int[] {axis}).maximum(1e-12f));
    }

    /** Mean over every masked position (token-level mean over the whole batch). */
    public static NDArray mean(NDArray values, NDArray mask) {
        NDArray m = asFloat(mask, values);
        return values.mul(m).sum().div(m.sum().maximum(1e-12f));
    }

    /**
     * Variance over every masked position; {@code unbiased} applies Bessel's correction n / (n - 1),
     * as TRL's {@code masked_var} does by default.
     */
    public static NDArray variance(NDArray values, NDArray mask, boolean unbiased) {
        NDArray m = asFloat(mask, values);
        NDArray centred = values.sub(mean(values, m));
        NDArray var = mean(centred.square(), m);
        if (unbiased) {
            float n = m.sum().toType(DataType.FLOAT32, false).getFloat();
            if (n < 2) {
                throw new IllegalArgumentException("the unbiased variance needs at least 2 masked positions, got " + n);
            }
            var = var.mul(n / (n - 1));
        }
        return var;
    }

    /**
     * (values - mean) / sqrt(var + 1e-8) over the masked positions (unbiased variance, TRL's
     * {@code masked_whiten}); with {@code shiftMean} false the mean is added back, so only the scale
     * changes. Masked-out positions come back as 0. The statistics are not differentiated: whitening
     * is applied to advantages, which are constants of the loss.
     */
    public static NDArray whiten(NDArray values, NDArray mask, boolean shiftMean) {
        NDManager owner = values.getManager();
        NDArray m = asFloat(mask, values);
        double mean;
        double var;
        try (NDManager scratch = owner.newSubManager()) {
            NDArray v = values.stopGradient();
            v.attach(scratch);
            mean = mean(v, m).toType(DataType.FLOAT64, false).getDouble();
            var = variance(v, m, true).toType(DataType.FLOAT64, false).getDouble();
        }
        NDArray whitened = values.sub(mean).mul(1.0 / Math.sqrt(var + WHITEN_EPS));
        if (!shiftMean) {
            whitened = whitened.add(mean);
        }
        return whitened.mul(m);
    }

    /** The index of the last real position of each row of a mask [B, T] (-1 for a row with none). */
    public static int[] lastIndex(NDArray mask) {
        long[] shape = mask.getShape().getShape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("mask must be [B, T], got " + mask.getShape());
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] m;
        try (NDManager scratch = mask.getManager().newSubManager()) {
            m = Functions.convert(mask, DataType.FLOAT32, scratch).toFloatArray();
        }
        int[] last = new int[rows];
        for (int r = 0; r < rows; r++) {
            last[r] = -1;
            for (int c = 0; c < cols; c++) {
                if (m[r * cols + c] != 0) {
                    last[r] = c;
                }
            }
        }
        return last;
    }
}
