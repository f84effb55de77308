package dev.rlhf.trainer.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A constructed language model whose next-token distribution depends only on the last token, given
 * as a table: for building decoding cases with known likelihoods (e.g. where greedy is not optimal).
 * Tokens without a row, and tokens a row does not list, get (almost) zero probability.
 */
final class TableModel implements LanguageModel {

    private static final int VOCAB = 512;
    private final Map<Integer, float[]> rows = new HashMap<>();

    void next(int after, int[] tokens, double[] probabilities) {
        float[] logits = new float[VOCAB];
        Arrays.fill(logits, -1e4f);
        for (int i = 0; i < tokens.length; i++) {
            logits[tokens[i]] = (float) Math.log(probabilities[i]);
        }
        rows.put(after, logits);
    }

    private float[] logitsAfter(int token) {
        float[] row = rows.get(token);
        if (row != null) {
            return row.clone();
        }
        float[] uniform = new float[VOCAB];
        return uniform;
    }

    @Override
    public DecodingSession openSession(int maxTotalLength, boolean useKvCache) {
        return new DecodingSession() {
            final NDManager manager = NDManager.newBaseManager();
            int[] last;

            @Override
            public NDArray prefill(int[][] prompts) {
                last = new int[prompts.length];
                for (int i = 0; i < prompts.length; i++) {
                    last[i] = prompts[i][prompts[i].length - 1];
                }
                return logits();
            }

            @Override
            public NDArray step(int[] nextTokens) {
                last = nextTokens.clone();
                return logits();
            }

            @Override
            public void reorder(int[] sourceRows) {
                // The next step supplies the tokens, which is all this model looks at.
            }

            private NDArray logits() {
                float[] flat = new float[last.length * VOCAB];
                for (int i = 0; i < last.length; i++) {
                    System.arraycopy(logitsAfter(last[i]), 0, flat, i * VOCAB, VOCAB);
                }
                return manager.create(flat, new Shape(last.length, VOCAB));
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int maxSequenceLength() {
        return 512;
    }
}
