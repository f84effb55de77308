package dev.rlhf.trainer.align.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.data.PaddedBatch;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.List;

/**
 * Log-probabilities of responses under a language model, per sequence: the forward pass the offline
 * preference trainers share (DPO on pairs, KTO on unpaired completions). Summed over response tokens, or
 * averaged with {@code lengthNormalized} (IPO).
 */
public final class PolicyLogprobs {

    private PolicyLogprobs() {
    }

    /** Log-probabilities [rows] from one forward pass over the right-padded rows, in {@code scope} (differentiable when recorded). */
    public static NDArray of(LlamaModel model, List<TokenizedResponse> rows, NDManager scope, boolean lengthNormalized) {
        PaddedBatch padded = PaddedBatch.of(rows, scope);
        NDArray logits = model.logits(model.hiddenStates(padded.tokens(), padded.keyMask(), null, null));
        SequenceLogprobs.Result result = SequenceLogprobs.ofSequence(logits, padded.tokens(), padded.responseMask());
        return lengthNormalized ? result.mean() : result.sum();
    }

    /**
     * Log-probabilities of every row as plain numbers, in batches of {@code batchSize} without gradients, so
     * no tensor outlives its batch (reference log-probabilities computed once before training).
     */
    public static float[] constants(LlamaModel model, List<TokenizedResponse> rows, int batchSize, boolean lengthNormalized) {
        float[] out = new float[rows.size()];
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<TokenizedResponse> batch = rows.subList(from, Math.min(from + batchSize, rows.size()));
            try (NDManager scope = model.manager().newSubManager()) {
                float[] values = of(model, batch, scope, lengthNormalized).toType(DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(values, 0, out, from, values.length);
            }
        }
        return out;
    }
}
