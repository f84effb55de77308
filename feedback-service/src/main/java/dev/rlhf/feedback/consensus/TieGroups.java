package dev.rlhf.feedback.consensus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Helpers over a ranking written as tie groups, best group first ({@code [[a], [b, c], [d]]}: a is
 * best, b and c are tied, d is worst). Items are of any type (response ids in the service).
 */
public final class TieGroups {

    private TieGroups() {
    }

    /** Item -> index of its group (0 = best group). */
    public static <T> Map<T, Integer> groupIndex(List<List<T>> groups) {
        Map<T, Integer> index = new HashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            for (T item : groups.get(g)) {
                index.put(item, g);
            }
        }
        return index;
    }

    /**
     * Item -> fractional rank position, 1 = best; tied items share the mean of the positions they
     * occupy ({@code [[a], [b, c], [d]]} gives a=1, b=c=2.5, d=4), so ties keep the 1..K scale.
     */
    public static <T> Map<T, Double> fractionalRanks(List<List<T>> groups) {
        Map<T, Double> ranks = new HashMap<>();
        int before = 0;
        for (List<T> group : groups) {
            // positions before+1 .. before+size, mean = before + (size + 1) / 2
            double shared = before + (group.size() + 1) / 2.0;
            for (T item : group) {
                ranks.put(item, shared);
            }
            before += group.size();
        }
        return ranks;
    }

    /** The (better, worse) pairs the ranking states strictly: each item over every item in a lower group. */
    public static <T> List<OrderedPair<T>> strictPairs(List<List<T>> groups) {
        List<OrderedPair<T>> pairs = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            for (int j = i + 1; j < groups.size(); j++) {
                for (T better : groups.get(i)) {
                    for (T worse : groups.get(j)) {
                        pairs.add(new OrderedPair<>(better, worse));
                    }
                }
            }
        }
        return pairs;
    }

    /** Number of strict pairs, without building them: K-choose-2 minus the pairs inside each tie group. */
    public static long strictPairCount(List<? extends List<?>> groups) {
        long n = 0;
        long tied = 0;
        for (List<?> g : groups) {
            n += g.size();
            tied += (long) g.size() * (g.size() - 1) / 2;
        }
        return n * (n - 1) / 2 - tied;
    }

    public record OrderedPair<T>(T better, T worse) {
    }
}
