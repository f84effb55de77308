package dev.rlhf.schemas.ranking;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one reading of a ranking written as tie groups, best group first ({@code [[a], [b, c], [d]]}:
 * a is best, b and c are tied, d is worst), as the {@code RankingSubmitted} event, the {@code rankings}
 * export and both services hold it. Items are of any type (response ids in the feedback service,
 * response indices in the trainer).
 */
public final class TieGroups {

    private TieGroups() {
    }

    /** A preference the ranking states: {@code better} is in a higher group than {@code worse}. */
    public record OrderedPair<T>(T better, T worse) {
    }

    /**
     * The (better, worse) pairs the ranking states strictly, in group order: each item over every item
     * in a lower group; items of one group give none.
     */
    public static <T> List<OrderedPair<T>> strictPairs(List<? extends List<? extends T>> groups) {
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

    /** Number of strict pairs, without building them. */
    public static long strictPairCount(List<? extends Collection<?>> groups) {
        return strictPairCountOfSizes(groups.stream().mapToInt(Collection::size).toArray());
    }

    /** Number of strict pairs of groups of these sizes: K-choose-2 minus the pairs inside each tie group. */
    public static long strictPairCountOfSizes(int... groupSizes) {
        long n = 0;
        long tied = 0;
        for (int size : groupSizes) {
            n += size;
            tied += (long) size * (size - 1) / 2;
        }
        return n * (n - 1) / 2 - tied;
    }

    /** Item -> index of its group (0 = best group). */
    public static <T> Map<T, Integer> groupIndex(List<? extends List<? extends T>> groups) {
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
    public static <T> Map<T, Double> fractionalRanks(List<? extends List<? extends T>> groups) {
        Map<T, Double> ranks = new HashMap<>();
        int before = 0;
        for (List<? extends T> group : groups) {
            // positions before+1 .. before+size, mean = before + (size + 1) / 2
            double shared = before + (group.size() + 1) / 2.0;
            for (T item : group) {
                ranks.put(item, shared);
            }
            before += group.size();
        }
        return ranks;
    }
}
