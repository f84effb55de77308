package dev.rlhf.trainer.align.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.model.LlamaModel;

/**
 * A constant added to every reward so that the mean reward on a reference set is 0 (InstructGPT:
 * "the reward model ... normalized so that the labeler demonstrations achieve a mean score of 0"
 * before RL). Pairwise losses are blind to such a shift, so it changes no preference; it keeps
 * PPO's per-token KL penalty and the score on a comparable scale. Serialisable as a record.
 *
 * @param offset added to each raw reward (minus the reference mean)
 */
public record RewardNormalization(double offset) {

    public RewardNormalization {
        if (!Double.isFinite(offset)) {
            throw new IllegalArgumentException("reward offset must be finite, got " + offset);
        }
    }

    public static RewardNormalization none() {
        return new RewardNormalization(0);
    }

    /** Fits the offset to raw rewards of the reference set. */
    public static RewardNormalization fit(double[] referenceRewards) {
        if (referenceRewards.length == 0) {
            throw new IllegalArgumentException("the reference set for reward normalisation is empty");
        }
        double sum = 0;
        for (double r : referenceRewards) {
            sum += r;
        }
        return new RewardNormalization(-sum / referenceRewards.length);
    }

    /** Fits the offset to raw rewards [N] of the reference set (not differentiated). */
    public static RewardNormalization fit(NDArray referenceRewards) {
        try (NDManager scratch = referenceRewards.getManager().newSubManager()) {
            NDArray r = referenceRewards.stopGradient();
            r.attach(scratch);
            return fit(r.toType(DataType.FLOAT64, false).toDoubleArray());
        }
    }

    public double apply(double rawReward) {
        return rawReward + offset;
    }

    public NDArray apply(NDArray rawRewards) {
        return rawRewards.add(offset);
    }

    /**
     * Adds the offset to the value head's bias so the model itself outputs normalised rewards
     * (then {@code score} and PPO need no separate step). Call once: the offset is absorbed.
     */
    public void foldInto(LlamaModel rewardModel) {
        NDArray bias = rewardModel.parameter(LlamaModel.VALUE_HEAD_BIAS);
        boolean trainable = bias.hasGradient();
        float[] value = bias.toType(DataType.FLOAT32, false).toFloatArray();
        value[0] += (float) offset;
        NDArray shifted = rewardModel.manager().create(value, bias.getShape()).toType(bias.getDataType(), false);
        rewardModel.replaceParameter(LlamaModel.VALUE_HEAD_BIAS, shifted);
        shifted.setRequiresGradient(trainable);
    }
}
