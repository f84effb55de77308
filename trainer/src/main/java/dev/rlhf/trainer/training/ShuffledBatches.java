package dev.rlhf.trainer.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Batches of items in a per-epoch shuffled order that is a function of (seed, epoch) only, as the
 * SFT trainer orders its data; the last batch of an epoch may be short.
 */
public final class ShuffledBatches<T> {

    private final List<T> items;
    private final int batchSize;
    private final long seed;
    private List<Integer> order;
    private int epoch;
    private int position;

    public ShuffledBatches(List<T> items, int batchSize, long seed) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("nothing to train on");
        }
        this.items = List.copyOf(items);
        this.batchSize = batchSize;
        this.seed = seed;
        this.order = orderOf(0);
    }

    public List<T> next() {
        if (position >= items.size()) {
            epoch++;
            position = 0;
            order = orderOf(epoch);
        }
        int end = Math.min(position + batchSize, items.size());
        List<T> batch = new ArrayList<>(end - position);
        for (int i = position; i < end; i++) {
            batch.add(items.get(order.get(i)));
        }
        position = end;
        return batch;
    }

    /** Fractional epochs completed. */
    public double epochProgress() {
        return epoch + position / (double) items.size();
    }

    public int stepsPerEpoch() {
        return (items.size() + batchSize - 1) / batchSize;
    }

    private List<Integer> orderOf(int e) {
        List<Integer> indices = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            indices.add(i);
        }
        Collections.shuffle(indices, new Random(seed * 1_000_003L + e));
        return indices;
    }
}
