package dev.rlhf.feedback.consensus;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Krippendorff's alpha with the ordinal metric, accumulated unit by unit (constant memory in the
 * number of units: only the coincidence matrix over the distinct values is kept).
 * <p>
 * A unit is one thing several coders valued; its pairable values are those of the coders who valued
 * it (a unit with fewer than 2 is skipped). Coincidences: each ordered pair of values (c, k) from
 * different coders of a unit with m values adds 1/(m-1) to o[c][k]. With n_c = sum_k o[c][k] and
 * n = sum_c n_c, the ordinal distance is delta^2(c,k) = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 and
 * {@code alpha = 1 - (n - 1) * sum o[c][k] delta^2(c,k) / sum n_c n_k delta^2(c,k)}
 * (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011). NaN when every value is equal
 * (no expected disagreement) or no unit is pairable.
 * <p>
 * In a project: unit = (task, response), coders = the annotators who ranked the task, value = the
 * response's fractional rank position in that annotator's ranking ({@link dev.rlhf.schemas.ranking.TieGroups#fractionalRanks}).
 */
public final class KrippendorffAlpha {

    private final TreeMap<Double, TreeMap<Double, Double>> coincidences = new TreeMap<>();

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
        KrippendorffAlpha alpha = new KrippendorffAlpha();
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
                int lo = Math.min(c, k);
                int hi = Math.max(c, k);
                double d = cumulative[hi + 1] - cumulative[lo] - (marginal[lo] + marginal[hi]) / 2;
                double delta2 = d * d;
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
