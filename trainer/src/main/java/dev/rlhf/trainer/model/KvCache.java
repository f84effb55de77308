package dev.rlhf.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of past positions, one pair of tensors per layer, preallocated to a fixed
 * capacity so that appending a token costs the same at position 5 as at position 500 (no
 * re-concatenation). Inference only: writes are in place, so autograd does not see them.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    /**
     * @param capacity the most positions (prompt plus generated) this cache will hold
     */
    public KvCache(LlamaModel model, int batchSize, int capacity) {
        LlamaConfig config = model.config();
        this.manager = model.manager().newSubManager();
        this.capacity = capacity;
        this.keys = new NDArray[config.nLayers()];
        this.values = new NDArray[config.nLayers()];
        Shape shape = new Shape(batchSize, config.nKvHeads(), capacity, config.headDim());
        for (int layer = 0; layer < config.nLayers(); layer++) {
            keys[layer] = manager.zeros(shape, model.computeType());
            values[layer] = manager.zeros(shape, model.computeType());
        }
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public long batchSize() {
        return keys[0].getShape().get(0);
    }

    /**
     * Writes this step's keys and values [B, kvHeads, T, headDim] of one layer after the cached
     * positions and returns views of all positions so far, owned by the step's manager.
     */
    NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
        long steps = newKeys.getShape().get(2);
        if (length + steps > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + steps + " > capacity " + capacity);
        }
        // Built, not parsed: a format-string NDIndex costs more to parse than the copy it describes.
        NDIndex slots = new NDIndex().addAllDim(2).addSliceDim(length, length + steps);
        keys[layer].set(slots, newKeys);
        values[layer].set(slots, newValues);
        NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, length + steps);
        NDManager step = newKeys.getManager();
        return new NDArray[] {keys[layer].get(step, filled), values[layer].get(step, filled)};
    }

    /** Marks the positions written by the last forward pass as cached. */
    void advance(int steps) {
        length += steps;
    }

    /**
     * Reorders batch rows (beam search): row {@code i} of the new cache is row {@code sourceRows[i]}
     * of the old one.
     */
    public void reorder(int[] sourceRows) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray index = scratch.create(toLongs(sourceRows));
            for (int layer = 0; layer < keys.length; layer++) {
                keys[layer] = replace(keys[layer], index);
                values[layer] = replace(values[layer], index);
            }
        }
    }

    private NDArray replace(NDArray old, NDArray index) {
        NDArray selected = old.get(manager, new NDIndex("{}", index));
        old.close();
        return selected;
    }

    private static long[] toLongs(int[] values) {
        long[] longs = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            longs[i] = values[i];
        }
        return longs;
    }

    @Override
    public void close() {
        manager.close();
    }
}
