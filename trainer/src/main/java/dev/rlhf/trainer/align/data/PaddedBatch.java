package dev.rlhf.trainer.align.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Sequences of different lengths as one right-padded batch, created in the step's manager:
 * {@code tokens} [N, L] (int64, padding 0), {@code keyMask} [N, L] (1 for real tokens),
 * {@code responseMask} [N, L] (1 for response tokens) and the index of each row's last real token.
 */
public record PaddedBatch(NDArray tokens, NDArray keyMask, NDArray responseMask, int[] lastIndex) {

    public static PaddedBatch of(List<TokenizedResponse> rows, NDManager step) {
        int n = rows.size();
        int length = rows.stream().mapToInt(TokenizedResponse::length).max().orElseThrow();
        long[] tokens = new long[n * length];
        float[] keyMask = new float[n * length];
        float[] responseMask = new float[n * length];
        int[] last = new int[n];
        for (int r = 0; r < n; r++) {
            TokenizedResponse row = rows.get(r);
            for (int t = 0; t < row.length(); t++) {
                tokens[r * length + t] = row.ids()[t];
                keyMask[r * length + t] = 1;
                responseMask[r * length + t] = t >= row.responseFrom() ? 1 : 0;
            }
            last[r] = row.length() - 1;
        }
        Shape shape = new Shape(n, length);
        return new PaddedBatch(step.create(tokens, shape), step.create(keyMask, shape), step.create(responseMask, shape), last);
    }
}
