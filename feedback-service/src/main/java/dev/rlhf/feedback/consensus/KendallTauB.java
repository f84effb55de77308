package dev.rlhf.feedback.consensus;

import java.util.List;

/**
 * Kendall's tau-b between two rankings of the same items, ties allowed:
 * {@code (concordant - discordant) / sqrt((n0 - tiesFirst) * (n0 - tiesSecond))} with n0 = n(n-1)/2
 * and tiesX the item pairs tied in ranking X. 1 = same order, -1 = reversed; NaN when either
 * ranking ties everything (the measure is undefined).
 */
public final class KendallTauB {

    private KendallTauB() {
    }

    public static <T> double between(List<List<T>> first, List<List<T>> second) {
        PairwiseAgreement.Comparison c = PairwiseAgreement.compare(first, second);
        long n0 = c.same() + c.opposite() + c.tiedInFirstOnly() + c.tiedInSecondOnly() + c.tiedInBoth();
        long tiesFirst = c.tiedInFirstOnly() + c.tiedInBoth();
        long tiesSecond = c.tiedInSecondOnly() + c.tiedInBoth();
        double denominator = Math.sqrt((double) (n0 - tiesFirst) * (n0 - tiesSecond));
        return denominator == 0 ? Double.NaN : (c.same() - c.opposite()) / denominator;
    }
}
