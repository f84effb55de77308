package dev.rlhf.trainer.align.loss;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A scalar loss to back-propagate and the metrics that describe it, read off as plain numbers
 * (named as in {@code shared/CONTRACTS.md}: TRL's names).
 *
 * @param loss    scalar, differentiable with respect to whatever the inputs were computed from;
 *                owned by the manager of the inputs
 * @param metrics metric name to value, in a stable order
 */
public record LossOutput(NDArray loss, Map<String, Double> metrics) {

    public LossOutput {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    public double metric(String name) {
        Double value = metrics.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no metric " + name + " among " + metrics.keySet());
        }
        return value;
    }
}
