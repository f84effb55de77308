package dev.rlhf.trainer.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.List;

/** Prompt-masked next-token cross-entropy over a right-padded batch. */
public final class SftLoss {

    private SftLoss() {}

    /** Mean negative log-likelihood [scalar] of the completion tokens of {@code batch}. */
    public static NDArray meanNll(LlamaModel model, List<TokenizedExample> batch, NDManager step) {
        NDArray[] sums = nllSum(model, batch, step);
        return sums[0].div(sums[1]);
    }

    /** Summed negative log-likelihood and the number of tokens it covers, both scalars. */
    public static NDArray[] nllSum(LlamaModel model, List<TokenizedExample> batch, NDManager step) {
        int rows = batch.size();
        int time = batch.stream().mapToInt(e -> e.ids().length).max().orElseThrow() - 1;
        long[] inputs = new long[rows * time];
        long[] targets = new long[rows * time];
        float[] keyMask = new float[rows * time];
        float[] lossMask = new float[rows * time];
        for (int r = 0; r < rows; r++) {
            TokenizedExample e = batch.get(r);
            for (int t = 0; t < e.ids().length - 1; t++) {
                int i = r * time + t;
                inputs[i] = e.ids()[t];
                targets[i] = e.ids()[t + 1];
                keyMask[i] = 1;
                lossMask[i] = t + 1 >= e.lossFrom() ? 1 : 0;
            }
        }
        Shape shape = new Shape(rows, time);
        NDArray tokens = step.create(inputs, shape);
        NDArray hidden = model.hiddenStates(tokens, step.create(keyMask, shape), null, null);
        NDArray logProbs = model.logits(hidden).logSoftmax(-1);
        NDArray picked = logProbs.gather(step.create(targets, shape).expandDims(-1), 2).squeeze(-1);
        NDArray mask = step.create(lossMask, shape).toType(logProbs.getDataType(), false);
        return new NDArray[] {picked.mul(mask).sum().neg(), mask.sum().toType(DataType.FLOAT32, false)};
    }
}
