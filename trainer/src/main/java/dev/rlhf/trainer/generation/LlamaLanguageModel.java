package dev.rlhf.trainer.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.KvCache;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.NativeThreads;
import java.util.Arrays;

/** The decoder as a {@link LanguageModel}: left-padded batches, with or without a KV cache. */
public final class LlamaLanguageModel implements LanguageModel {

    private final LlamaModel model;

    public LlamaLanguageModel(LlamaModel model) {
        this.model = model;
    }

    public LlamaModel model() {
        return model;
    }

    @Override
    public DecodingSession openSession(int maxTotalLength, boolean useKvCache) {
        return new Session(maxTotalLength, useKvCache);
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public int maxSequenceLength() {
        return model.config().maxSeqLen();
    }

    /**
     * Most multiply-adds of one decoding step (rows x parameters) that still run faster on one thread.
     * stories260K at 64 rows (17 million) sampled 1.4-1.6x faster on one thread of this 2-core machine
     * (trainer/README.md, "Speed against PyTorch eager").
     */
    static final long ONE_THREAD_STEP_WORK = Long.getLong("rlhf.oneThreadWork", 1L << 26);

    @Override
    public boolean decodesFasterOnOneThread(int rows) {
        return !model.device().isGpu() && (long) rows * model.config().parameterCount() <= ONE_THREAD_STEP_WORK;
    }

    private final class Session implements DecodingSession {
        private final int maxTotalLength;
        private final boolean useKvCache;
        private KvCache cache;
        /** Holds the last call's logits until the next call. */
        private NDManager stepScope;
        /** Every row's tokens so far, left-padded to a common length, and which are real. */
        private int[][] tokens;
        private int[][] mask;

        Session(int maxTotalLength, boolean useKvCache) {
            this.maxTotalLength = maxTotalLength;
            this.useKvCache = useKvCache;
        }

        @Override
        public NDArray prefill(int[][] prompts) {
            int longest = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow();
            tokens = new int[prompts.length][longest];
            mask = new int[prompts.length][longest];
            for (int row = 0; row < prompts.length; row++) {
                int pad = longest - prompts[row].length;
                System.arraycopy(prompts[row], 0, tokens[row], pad, prompts[row].length);
                Arrays.fill(mask[row], pad, longest, 1);
            }
            if (useKvCache) {
                cache = new KvCache(model, prompts.length, Math.max(maxTotalLength, longest));
            }
            return forward(tokens);
        }

        @Override
        public NDArray step(int[] nextTokens) {
            for (int row = 0; row < tokens.length; row++) {
                tokens[row] = append(tokens[row], nextTokens[row]);
                mask[row] = append(mask[row], 1);
            }
            if (!useKvCache) {
                return forward(tokens);
            }
            int[][] last = new int[tokens.length][];
            for (int row = 0; row < tokens.length; row++) {
                last[row] = new int[] {nextTokens[row]};
            }
            // One token per row: matrix-vector sized products, faster on one MKL thread.
            return NativeThreads.onOneMklThread(() -> forward(last));
        }

        /**
         * Runs the new tokens of every row in one scoped pass and returns the last position's logits,
         * the only array of the pass kept (in {@code stepScope}) until the next call.
         */
        private NDArray forward(int[][] newTokens) {
            int rows = newTokens.length;
            int time = newTokens[0].length;
            closeStepScope();
            stepScope = model.manager().newSubManager();
            try (NDManager pass = model.manager().newSubManager()) {
                NDArray input = pass.create(flatten(newTokens), new Shape(rows, time));
                // A decoding step builds positions and bias on the host (a few numbers per row); a prefill's
                // [rows, T, T] bias is built on the model's device instead of copied over.
                NDArray hidden = time == 1
                        ? model.hiddenStates(input, mask, cache)
                        : model.hiddenStates(input, pass.create(flatten(mask), new Shape(rows, mask[0].length)), null, cache);
                NDArray logits = model.logits(hidden.get(new NDIndex().addAllDim().addIndices(-1)));
                logits.attach(stepScope);
                return logits;
            }
        }

        private void closeStepScope() {
            if (stepScope != null) {
                stepScope.close();
                stepScope = null;
            }
        }

        @Override
        public void reorder(int[] sourceRows) {
            int[][] newTokens = new int[sourceRows.length][];
            int[][] newMask = new int[sourceRows.length][];
            for (int i = 0; i < sourceRows.length; i++) {
                newTokens[i] = tokens[sourceRows[i]].clone();
                newMask[i] = mask[sourceRows[i]].clone();
            }
            tokens = newTokens;
            mask = newMask;
            if (cache != null) {
                cache.reorder(sourceRows);
            }
        }

        @Override
        public void close() {
            closeStepScope();
            if (cache != null) {
                cache.close();
                cache = null;
            }
        }
    }

    private static int[] append(int[] row, int value) {
        int[] longer = Arrays.copyOf(row, row.length + 1);
        longer[row.length] = value;
        return longer;
    }

    private static int[] flatten(int[][] rows) {
        int width = rows[0].length;
        int[] flat = new int[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return flat;
    }
}
