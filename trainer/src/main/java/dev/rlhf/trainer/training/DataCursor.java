package dev.rlhf.trainer.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntToLongFunction;

/**
 * Items of a data set in per-epoch shuffled orders, each order a function of its epoch's seed only,
 * read from a {@link Position} that a resume state saves and restores, so a resumed run reads the
 * same items in the same order as an uninterrupted one.
 */
public final class DataCursor<T> {

    /** Where the cursor reads next: {@code index} into epoch {@code epoch}'s order. */
    public record Position(int epoch, int index) {}

    private final List<T> items;
    private final IntToLongFunction orderSeed;
    private int epoch;
    private int index;
    private int orderEpoch = -1;
    private List<Integer> order;

    /** @param orderSeed the seed of each epoch's shuffle, e.g. {@link Seeds#supervisedOrder()} */
    public DataCursor(List<T> items, IntToLongFunction orderSeed) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("nothing to train on");
        }
        this.items = List.copyOf(items);
        this.orderSeed = orderSeed;
    }

    /** The next batch of up to {@code size} items; an epoch's last batch may be short. */
    public List<T> nextBatch(int size) {
        if (index >= items.size()) {
            startNextEpoch();
        }
        int end = Math.min(index + size, items.size());
        List<T> batch = new ArrayList<>(end - index);
        while (index < end) {
            batch.add(take());
        }
        return batch;
    }

    /** The next {@code n} items, continuing into the next epoch when this one runs out. */
    public List<T> next(int n) {
        List<T> out = new ArrayList<>(n);
        while (out.size() < n) {
            if (index >= items.size()) {
                startNextEpoch();
            }
            out.add(take());
        }
        return out;
    }

    public Position position() {
        return new Position(epoch, index);
    }

    public void moveTo(Position p) {
        epoch = p.epoch();
        index = p.index();
    }

    /** Fractional epochs read. */
    public double epochProgress() {
        return epoch + index / (double) items.size();
    }

    public int batchesPerEpoch(int batchSize) {
        return (items.size() + batchSize - 1) / batchSize;
    }

    public int size() {
        return items.size();
    }

    private void startNextEpoch() {
        epoch++;
        index = 0;
    }

    private T take() {
        if (orderEpoch != epoch) {
            order = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(orderSeed.applyAsLong(epoch)));
            orderEpoch = epoch;
        }
        return items.get(order.get(index++));
    }
}
