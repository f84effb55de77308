package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.training.ResumeState;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One rollout's experience, all in host arrays (OpenRLHF's {@code Experience}): rows are prompt +
 * response tokens, right-padded to a common width; per-token arrays cover the {@code width - 1}
 * predicted positions.
 *
 * @param responseTokens [rows, width]: 1 at response tokens
 * @param mask           [rows, width - 1]: 1 where the position predicts a response token
 * @param oldLogp        the sampling policy's log-probabilities of the response tokens
 * @param oldValues      the critic's values before the update; null without a critic (RLOO, GRPO)
 * @param returns        GAE's returns, the critic's targets; null without a critic
 * @param metrics        the rollout's metrics (KL, scores, entropy, lengths), repeated on each of its steps
 */
record Rollout(int rows, int width, float[] tokens, float[] keyMask, float[] responseTokens, float[] mask,
               float[] oldLogp, float[] oldValues, float[] advantages, float[] returns, Map<String, Double> metrics) {

    private static final String PENDING = "pendingRollout";
    private static final String ARRAYS = "rollout";

    int time() {
        return width - 1;
    }

    Map<String, float[]> arrays() {
        Map<String, float[]> a = new LinkedHashMap<>();
        a.put("tokens", tokens);
        a.put("keyMask", keyMask);
        a.put("responseTokens", responseTokens);
        a.put("mask", mask);
        a.put("oldLogp", oldLogp);
        if (oldValues != null) {
            a.put("oldValues", oldValues);
        }
        a.put("advantages", advantages);
        if (returns != null) {
            a.put("returns", returns);
        }
        return a;
    }

    /** Rows {@code rows} of a [N, width] host array as an array of {@code type} [rows, width]. */
    static NDArray rowsOf(NDManager step, float[] data, int width, int[] rows, DataType type) {
        float[] picked = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(data, rows[i] * width, picked, i * width, width);
        }
        NDArray a = step.create(picked, new Shape(rows.length, width));
        return type == DataType.FLOAT32 ? a : a.toType(type, false);
    }

    /** Saves this rollout as the one a resumed run continues with. */
    void writeTo(ResumeState.Writer saved, NDManager parent) throws IOException {
        ObjectNode node = saved.counters().putObject(PENDING);
        node.put("rows", rows);
        node.put("width", width);
        ObjectNode m = node.putObject("metrics");
        metrics.forEach(m::put);
        saved.arrays(ARRAYS, arrays(), parent);
    }

    /** The rollout a run stopped in the middle of, or null when it stopped between rollouts. */
    static Rollout pending(ResumeState saved, NDManager parent) throws IOException {
        JsonNode pending = saved.counters().path(PENDING);
        if (!pending.isObject()) {
            return null;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : pending.path("metrics").properties()) {
            metrics.put(e.getKey(), e.getValue().asDouble());
        }
        Map<String, float[]> a = saved.arrays(ARRAYS, parent);
        return new Rollout(pending.path("rows").asInt(), pending.path("width").asInt(), a.get("tokens"),
                a.get("keyMask"), a.get("responseTokens"), a.get("mask"), a.get("oldLogp"), a.get("oldValues"),
                a.get("advantages"), a.get("returns"), metrics);
    }
}
