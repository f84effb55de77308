package dev.rlhf.trainer.generation;

/**
 * A batch of sequences being extended one token per row at a time. Implementations keep whatever
 * state makes the next step cheap (a KV cache) and own its native memory until closed.
 */
public interface DecodingSession extends AutoCloseable {

    /** Feeds the prompts (one per row, any lengths) and returns next-token logits [row][vocab]. */
    float[][] prefill(int[][] prompts);

    /** Appends one token to every row and returns the next-token logits [row][vocab]. */
    float[][] step(int[] nextTokens);

    /** Reorders rows (beam search): new row {@code i} continues old row {@code sourceRows[i]}. */
    void reorder(int[] sourceRows);

    @Override
    void close();
}
