package dev.rlhf.feedback.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The trainer's loop as it last reported it (run {@code loop}, phase {@code loop}, step = epoch
 * seconds of the report, about every 10 s and at each change): the promoted version, the round in
 * progress (0 for none), new comparisons since the last round against the threshold that starts
 * one, seconds without a ranking against the limit after which it trains on what it has (or
 * resamples fresh responses when there is nothing new), sample requests not yet answered, and the
 * prompts whose published samples no ranking has answered yet (while there are any, the idle limit
 * does not apply: labelers still have the trainer's tasks to rank).
 */
public record LoopStatus(Instant reportedAt, Integer version, long round, long comparisonsNew, long trainEvery, long idleSeconds,
                         long idleLimitSeconds, long requestsPending, long tasksAwaiting) {

    /** A report older than this says more about the trainer (stopped?) than about the loop. */
    public static final Duration STALE = Duration.ofSeconds(60);

    /** From the latest value of each {@code loop/*} metric; null when there is none. */
    public static LoopStatus of(Map<String, MetricPoint> latest) {
        if (latest.isEmpty()) {
            return null;
        }
        long reported = latest.values().stream().mapToLong(MetricPoint::step).max().orElseThrow();
        MetricPoint version = latest.get("loop/version");
        return new LoopStatus(Instant.ofEpochSecond(reported), version == null ? null : (int) Math.round(version.value()),
                value(latest, "loop/round"), value(latest, "loop/comparisons_new"), value(latest, "loop/train_every"),
                value(latest, "loop/idle_seconds"), value(latest, "loop/idle_limit_seconds"), value(latest, "loop/requests_pending"),
                value(latest, "loop/tasks_awaiting"));
    }

    private static long value(Map<String, MetricPoint> latest, String name) {
        MetricPoint p = latest.get(name);
        return p == null ? 0 : Math.round(p.value());
    }

    /**
     * What the loop is doing or waiting for: "Round 3 running", "Answering 12 sample requests",
     * "Waiting for 14 more comparisons (46 of 60), or 20 s more without rankings", ...
     */
    public String waitingFor() {
        if (round > 0) {
            return "Round " + round + " running";
        }
        if (requestsPending > 0) {
            return "Answering " + requestsPending + (requestsPending == 1 ? " sample request" : " sample requests");
        }
        if (trainEvery > 0 && comparisonsNew >= trainEvery) {
            return "Starting a round on " + comparisonsNew + " new comparisons";
        }
        long idleLeft = Math.max(0, idleLimitSeconds - idleSeconds);
        String waiting = trainEvery > 0
                ? "Waiting for " + (trainEvery - comparisonsNew) + " more comparisons (" + comparisonsNew + " of " + trainEvery + ")"
                : "Waiting for comparisons (" + comparisonsNew + " new)";
        if (idleLimitSeconds <= 0) {
            return waiting;
        }
        if (tasksAwaiting > 0) {
            return waiting + ", while labelers rank the new samples of " + tasksAwaiting + (tasksAwaiting == 1 ? " prompt" : " prompts");
        }
        return comparisonsNew > 0
                ? waiting + ", or " + idleLeft + " s more without rankings"
                : waiting + "; after " + idleLeft + " s more without rankings it samples fresh responses";
    }

    /** The whole line for the admin console, at {@code now}. */
    public String describe(Instant now) {
        long age = Math.max(0, Duration.between(reportedAt, now).toSeconds());
        String serving = version == null ? "" : " (v" + version + " promoted)";
        if (age > STALE.toSeconds()) {
            return "Trainer loop" + serving + ": no report for " + ago(age) + "; it last said: " + waitingFor();
        }
        return "Trainer loop" + serving + ": " + waitingFor() + " (reported " + ago(age) + " ago)";
    }

    private static String ago(long seconds) {
        if (seconds < 120) {
            return seconds + " s";
        }
        if (seconds < 2 * 3600) {
            return seconds / 60 + " min";
        }
        return seconds / 3600 + " h";
    }
}
