package dev.rlhf.feedback.imports;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a prompt's responses into ranking tasks of at most K (the project's responsesPerTask),
 * each with at least 2, sizes as even as possible (9 responses with K = 4: 3, 3, 3).
 */
final class TaskSplits {

    private TaskSplits() {
    }

    static <T> List<List<T>> split(List<T> responses, int k) {
        int n = responses.size();
        if (n < 2) {
            throw new IllegalArgumentException("a ranking task needs at least 2 responses, got " + n);
        }
        if (k < 2) {
            throw new IllegalArgumentException("responsesPerTask must be at least 2, not " + k);
        }
        int tasks = (n + k - 1) / k;
        int base = n / tasks;
        int larger = n % tasks;
        List<List<T>> chunks = new ArrayList<>(tasks);
        int start = 0;
        for (int t = 0; t < tasks; t++) {
            int size = base + (t < larger ? 1 : 0);
            chunks.add(List.copyOf(responses.subList(start, start + size)));
            start += size;
        }
        // Only K = 2 with an odd count leaves a single response: pair it with the one before it.
        if (chunks.getLast().size() == 1) {
            chunks.set(chunks.size() - 1, List.of(responses.get(n - 2), responses.get(n - 1)));
        }
        return chunks;
    }
}
