package dev.rlhf.feedback.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Folds the trainer's metrics into what it said about each policy version (see
 * {@link VersionHealth}): run {@code health}, phase {@code health}, step = the version's number,
 * names {@code health/*}, {@code guard/*} (1 for a broken guardrail) and {@code limit/*}; and the
 * reward model's {@code eval_accuracy} of run {@code round-N} (round N produces version vN). Points
 * may come in any order and more than once; not thread-safe.
 */
public final class PolicyHealth {

    public static final String HEALTH_RUN = "health";
    public static final String HEALTH_PHASE = "health";
    public static final String LOOP_RUN = "loop";
    public static final String LOOP_PHASE = "loop";
    static final String EVAL_ACCURACY = "eval_accuracy";
    private static final Pattern ROUND = Pattern.compile("round-(\\d+)");

    private static final class Entry {
        final Map<String, Double> health = new TreeMap<>();
        final Map<String, Double> limits = new TreeMap<>();
        final Set<String> broken = new LinkedHashSet<>();
        Double evalAccuracy;
        long evalAccuracyStep = Long.MIN_VALUE;
    }

    private final Map<Integer, Entry> versions = new TreeMap<>();

    /** Folds one point in; true when it was about a version's health (so a view showing it may need redrawing). */
    public boolean accept(MetricPoint p) {
        if (HEALTH_RUN.equals(p.runId()) && HEALTH_PHASE.equals(p.phase())) {
            if (p.step() < 0 || p.step() > Integer.MAX_VALUE) {
                return false;
            }
            Entry e = versions.computeIfAbsent((int) p.step(), n -> new Entry());
            String name = p.name();
            if (name.startsWith("health/")) {
                e.health.put(name.substring("health/".length()), p.value());
            } else if (name.startsWith("limit/")) {
                e.limits.put(name.substring("limit/".length()), p.value());
            } else if (name.startsWith("guard/")) {
                if (p.value() >= 0.5) {
                    e.broken.add(name.substring("guard/".length()));
                } else {
                    e.broken.remove(name.substring("guard/".length()));
                }
            } else {
                return false;
            }
            return true;
        }
        Matcher round = ROUND.matcher(p.runId());
        if ("reward".equals(p.phase()) && EVAL_ACCURACY.equals(p.name()) && round.matches()) {
            Entry e = versions.computeIfAbsent(Integer.parseInt(round.group(1)), n -> new Entry());
            if (p.step() >= e.evalAccuracyStep) {
                e.evalAccuracyStep = p.step();
                e.evalAccuracy = p.value();
                return true;
            }
        }
        return false;
    }

    public PolicyHealth acceptAll(Iterable<MetricPoint> points) {
        points.forEach(this::accept);
        return this;
    }

    /** Every version the trainer reported on, by number. */
    public List<VersionHealth> versions() {
        List<VersionHealth> result = new ArrayList<>();
        versions.forEach((n, e) -> result.add(new VersionHealth(n, new LinkedHashMap<>(e.health), new LinkedHashMap<>(e.limits),
                List.copyOf(e.broken), e.evalAccuracy)));
        return result;
    }

    /** The number of a version named like the trainer names them ("v3" -> 3), or null. */
    public static Integer number(String version) {
        if (version != null && version.matches("v\\d{1,9}")) {
            return Integer.parseInt(version.substring(1));
        }
        return null;
    }
}
