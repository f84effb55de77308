package dev.rlhf.trainer.generation;

import ai.djl.ndarray.NDArray;

/**
 * A batch of sequences being extended one token per row at a time. Implementations keep whatever
 * state makes the next step cheap (a KV cache) and own its native memory until closed.
 */
public interface DecodingSession extends AutoCloseable {

    /**
     * Feeds the prompts (one per row, any lengths) and returns next-token logits [rows, vocab] where the
     * model runs; the session owns them until its next call.
     */
    NDArray prefill(int[][] prompts);

    /** Appends one token to every row and returns the next-token logits [rows, vocab], as {@link #prefill}. */
    NDArray step(int[] nextTokens);

    /** Reorders rows (beam search): new row {@code i} continues old row {@code sourceRows[i]}. */
    void reorder(int[] sourceRows);

    @Override
    void close();
}
