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
 * The critic's clipped value loss (TRL, OpenRLHF): the new value may move at most {@code c} from
 * the rollout's value, {@code v_clipped = v_old + clip(v - v_old, -c, c)}, and the loss is
 * {@code 0.5 * masked_mean(max((v - R)^2, (v_clipped - R)^2))}. Metrics {@code loss/value} and
 * {@code val/clipfrac} (share of tokens where the clipped error is the larger one).
 */
public final class ValueLoss {

    public static final String LOSS = "loss/value";
    public static final String CLIP_FRAC = "val/clipfrac";

    private ValueLoss() {
    }

    /**
     * @param values    the critic's current values [B, T] (differentiable)
     * @param oldValues values from the rollout [B, T] (constants)
     * @param returns   GAE returns [B, T] (constants)
     * @param mask      response tokens [B, T]
     * @param clipRange c
     */
    public static LossOutput compute(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, double clipRange) {
        if (!values.getShape().equals(oldValues.getShape()) || !values.getShape().equals(returns.getShape())
                || !values.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException("values " + values.getShape() + ", old values " + oldValues.getShape()
                    + ", returns " + returns.getShape() + " and mask " + mask.getShape() + " must match");
        }
        NDManager owner = values.getManager();
        NDArray old = Functions.constant(oldValues, owner);
        NDArray target = Functions.constant(returns, owner);
        NDArray clippedValues = old.add(values.sub(old).clip(-clipRange, clipRange));
        NDArray unclippedError = values.sub(target).square();
        NDArray clippedError = clippedValues.sub(target).square();
        NDArray loss = Functions.scale(Masked.mean(unclippedError.maximum(clippedError), mask), 0.5);

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(LOSS, Functions.scalar(loss));
        try (NDManager scratch = owner.newSubManager()) {
            NDArray c = Functions.detached(clippedError, scratch);
            NDArray m = Masked.asFloat(mask, c);
            NDArray indicator = c.gt(Functions.detached(unclippedError, scratch)).toType(c.getDataType(), false);
            metrics.put(CLIP_FRAC, Masked.mean(indicator, m).toType(DataType.FLOAT64, false).getDouble());
        }
        return new LossOutput(loss, metrics);
    }
}
