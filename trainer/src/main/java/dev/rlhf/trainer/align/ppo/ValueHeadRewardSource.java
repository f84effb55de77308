package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * A reward model: the decoder with a scalar value head, read at the last token of
 * {@code prompt + completion} tokenized as one text, BOS first, followed by EOS: the layout the
 * reward trainer scores its training pairs in (TRL and OpenRLHF append EOS to preference data too),
 * so every response is read at the same kind of token whether or not the policy ended it. Frozen: nothing here records gradients. Runs on whatever device the model
 * lives on (the CPU when PPO keeps frozen models off the training device).
 */
public final class ValueHeadRewardSource implements RewardSource {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final int batchSize;

    /** @param batchSize rows per forward pass */
    public ValueHeadRewardSource(LlamaModel model, TextTokenizer tokenizer, int batchSize) {
        if (!model.hasValueHead()) {
            throw new IllegalArgumentException("the reward model has no value head (train one with the reward command)");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = Math.max(1, batchSize);
    }

    public LlamaModel model() {
        return model;
    }

    @Override
    public double[] score(List<String> prompts, List<String> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        int limit = model.config().maxSeqLen();
        double[] scores = new double[prompts.size()];
        for (int from = 0; from < prompts.size(); from += batchSize) {
            int rows = Math.min(batchSize, prompts.size() - from);
            int[][] ids = new int[rows][];
            int width = 1;
            for (int r = 0; r < rows; r++) {
                int[] text = tokenizer.encode(prompts.get(from + r) + completions.get(from + r));
                int[] all = Arrays.copyOf(text, text.length + 1);
                all[text.length] = tokenizer.eosId();
                ids[r] = all.length > limit ? Arrays.copyOf(all, limit) : all;
                width = Math.max(width, ids[r].length);
            }
            long[] tokens = new long[rows * width];
            float[] keyMask = new float[rows * width];
            int[] last = new int[rows];
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < ids[r].length; t++) {
                    tokens[r * width + t] = ids[r][t];
                    keyMask[r * width + t] = 1;
                }
                last[r] = ids[r].length - 1;
            }
            try (NDManager step = model.manager().newSubManager()) {
                Shape shape = new Shape(rows, width);
                NDArray hidden = model.hiddenStates(step.create(tokens, shape), step.create(keyMask, shape), null, null);
                double[] values = model.valuesAt(hidden, last).toType(DataType.FLOAT64, false).toDoubleArray();
                System.arraycopy(values, 0, scores, from, rows);
            }
        }
        return scores;
    }
}
