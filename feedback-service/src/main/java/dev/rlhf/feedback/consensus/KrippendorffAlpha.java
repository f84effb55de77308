package dev.rlhf.feedback.consensus;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Krippendorff's alpha with the nominal, ordinal or interval metric, accumulated unit by unit
 * (constant memory in the number of units: only the coincidence matrix over the distinct values is kept).
 * <p>
 * A unit is one thing several coders valued; its pairable values are those of the coders who valued
 * it (a unit with fewer than 2 is skipped). Coincidences: each ordered pair of values (c, k) from
 * different coders of a unit with m values adds 1/(m-1) to o[c][k]. With n_c = sum_k o[c][k] and
 * n = sum_c n_c, {@code alpha = 1 - (n - 1) * sum o[c][k] delta^2(c,k) / sum n_c n_k delta^2(c,k)}
 * (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011), with the metric's difference function:
 * <ul>
 *   <li>nominal (categories, e.g. thumbs): delta^2 = 0 when c = k, else 1;</li>
 *   <li>ordinal (ranks, ratings read as ordered categories): delta^2(c,k) = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2;</li>
 *   <li>interval (ratings read as equally spaced numbers): delta^2 = (c - k)^2.</li>
 * </ul>
 * NaN when every value is equal (no expected disagreement) or no unit is pairable.
 * <p>
 * In a project: unit = (task, response), coders = the annotators who judged the task, value = the
 * response's fractional rank position in that annotator's ranking ({@link dev.rlhf.schemas.ranking.TieGroups#fractionalRanks},
 * ordinal), its rating (1..7, interval and ordinal) or its thumb (1 up, 0 down, nominal).
 */
public final class KrippendorffAlpha {

    /** How far apart two values are, by the level of measurement of the values. */
    public enum Metric {
        /** Categories: equal or not (thumbs up/down). */
        NOMINAL,
        /** Ordered categories: distance by how many values lie between (rank positions). */
        ORDINAL,
        /** Equally spaced numbers: squared difference (ratings on a Likert scale read as numbers). */
        INTERVAL
    }

    private final Metric metric;
    private final TreeMap<Double, TreeMap<Double, Double>> coincidences = new TreeMap<>();

    /** Ordinal alpha, the metric of rank positions. */
    public KrippendorffAlpha() {
        this(Metric.ORDINAL);
    }

    public KrippendorffAlpha(Metric metric) {
        this.metric = metric;
    }

    public Metric metric() {
        return metric;
    }

    /** Adds one unit: the values its coders gave (one per coder). */
    public KrippendorffAlpha addUnit(Collection<Double> values) {
        int m = values.size();
        if (m < 2) {
            return this;
        }
        Double[] v = values.toArray(new Double[0]);
        double weight = 1.0 / (m - 1);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i != j) {
                    coincidences.computeIfAbsent(v[i], c -> new TreeMap<>()).merge(v[j], weight, Double::sum);
                }
            }
        }
        return this;
    }

    public static double ordinal(List<? extends Collection<Double>> units) {
        return of(Metric.ORDINAL, units);
    }

    public static double nominal(List<? extends Collection<Double>> units) {
        return of(Metric.NOMINAL, units);
    }

    public static double interval(List<? extends Collection<Double>> units) {
        return of(Metric.INTERVAL, units);
    }

    public static double of(Metric metric, List<? extends Collection<Double>> units) {
        KrippendorffAlpha alpha = new KrippendorffAlpha(metric);
        units.forEach(alpha::addUnit);
        return alpha.alpha();
    }

    public double alpha() {
        Double[] values = coincidences.keySet().toArray(new Double[0]);
        int size = values.length;
        double[] marginal = new double[size];
        double n = 0;
        for (int c = 0; c < size; c++) {
            for (double o : coincidences.get(values[c]).values()) {
                marginal[c] += o;
            }
            n += marginal[c];
        }
        // cumulative[i] = n_0 + ... + n_{i-1}, so sum_{g=c..k} n_g = cumulative[k+1] - cumulative[c]
        double[] cumulative = new double[size + 1];
        for (int c = 0; c < size; c++) {
            cumulative[c + 1] = cumulative[c] + marginal[c];
        }
        double observed = 0;
        double expected = 0;
        for (int c = 0; c < size; c++) {
            Map<Double, Double> row = coincidences.get(values[c]);
            for (int k = 0; k < size; k++) {
                double delta2 = switch (metric) {
                    case NOMINAL -> c == k ? 0 : 1;
                    case ORDINAL -> {
                        int lo = Math.min(c, k);
                        int hi = Math.max(c, k);
                        double d = cumulative[hi + 1] - cumulative[lo] - (marginal[lo] + marginal[hi]) / 2;
                        yield d * d;
                    }
                    case INTERVAL -> (values[c] - values[k]) * (values[c] - values[k]);
                };
                observed += row.getOrDefault(values[k], 0.0) * delta2;
                expected += marginal[c] * marginal[k] * delta2;
            }
        }
        if (expected == 0) {
            return Double.NaN;
        }
        return 1 - (n - 1) * observed / expected;
    }
}
