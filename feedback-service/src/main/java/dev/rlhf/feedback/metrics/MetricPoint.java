package dev.rlhf.feedback.metrics;

import java.time.Instant;

/** One value of one trainer metric at one optimizer step of a run. */
public record MetricPoint(String runId, String phase, long step, String name, double value, Instant recordedAt) {

    /** The series a point belongs to, e.g. "run-7 / ppo / objective/kl". */
    public String seriesKey() {
        return runId + " / " + phase + " / " + name;
    }
}
