package dev.rlhf.feedback.consensus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * The consensus of one prompt's judgements by the project's feedback mode:
 * <ul>
 *   <li>ranking: {@link RankedPairs} over the rankings;</li>
 *   <li>pairwise: the same, plus the mean strength toward the consensus's first response (a judgement
 *       for it counts +strength, one against it -strength, "about the same" 0);</li>
 *   <li>rating: the mean rating per response, and the ranking by mean (equal means tie), highest first;</li>
 *   <li>binary: the majority per response (more ups: true, more downs: false, as many of each: no label,
 *       null), and the ranking majority up, then no majority, then majority down.</li>
 * </ul>
 * Judgements without the mode's grades (imported rankings, rankings given before the project changed
 * mode) take part through their tie groups only: in ranked pairs, not in means or majorities. When
 * none of a prompt's judgements carries the grades, rating and binary fall back to ranked pairs.
 * Responses keep their order of first appearance in the judgements' groups within a result group.
 */
public final class GradedConsensus {

    private GradedConsensus() {
    }

    /**
     * One annotator's judgement of a prompt: tie groups (best first) and the grades they came from.
     *
     * @param strength pairwise: 0, 1 or 2; else null
     * @param ratings  rating: per response 1..7; else empty
     * @param labels   binary: per response, true = thumbs up; else empty
     */
    public record Judgement<T>(List<List<T>> groups, Integer strength, Map<T, Integer> ratings, Map<T, Boolean> labels) {

        /** A plain ranking. */
        public static <T> Judgement<T> ranking(List<List<T>> groups) {
            return new Judgement<>(groups, null, Map.of(), Map.of());
        }
    }

    /**
     * @param ranking        the consensus tie groups, best first
     * @param meanStrength   pairwise: the mean signed strength toward the first response of {@code ranking}; else null
     * @param meanRatings    rating: per rated response, its mean rating (in first-appearance order); else empty
     * @param majorityLabels binary: per labelled response, the majority thumb, null where ups and downs are as many; else empty
     */
    public record Result<T>(List<List<T>> ranking, Double meanStrength, Map<T, Double> meanRatings, Map<T, Boolean> majorityLabels) {
    }

    public static <T> Result<T> of(FeedbackMode mode, List<Judgement<T>> judgements) {
        List<List<List<T>>> rankings = judgements.stream().map(Judgement::groups).toList();
        return switch (mode) {
            case RANKING -> new Result<>(RankedPairs.consensus(rankings), null, Map.of(), Map.of());
            case PAIRWISE -> {
                List<List<T>> consensus = RankedPairs.consensus(rankings);
                yield new Result<>(consensus, meanStrength(consensus, judgements), Map.of(), Map.of());
            }
            case RATING -> {
                Map<T, Double> means = meanRatings(judgements);
                yield means.isEmpty() ? new Result<>(RankedPairs.consensus(rankings), null, Map.of(), Map.of())
                        : new Result<>(byMean(means), null, means, Map.of());
            }
            case BINARY -> {
                Map<T, Boolean> majority = majorityLabels(judgements);
                yield majority.isEmpty() ? new Result<>(RankedPairs.consensus(rankings), null, Map.of(), Map.of())
                        : new Result<>(byMajority(majority), null, Map.of(), majority);
            }
        };
    }

    /** Mean over the judgements with a strength: +strength for the consensus's first response, -strength against, 0 for a tie. */
    static <T> Double meanStrength(List<List<T>> consensus, List<Judgement<T>> judgements) {
        if (consensus.isEmpty()) {
            return null;
        }
        T first = consensus.getFirst().getFirst();
        double sum = 0;
        int count = 0;
        for (Judgement<T> j : judgements) {
            if (j.strength() == null) {
                continue;
            }
            count++;
            if (j.groups().size() >= 2) {
                sum += j.groups().getFirst().contains(first) ? j.strength() : -j.strength();
            }
        }
        return count == 0 ? null : sum / count;
    }

    private static <T> Map<T, Double> meanRatings(List<Judgement<T>> judgements) {
        Map<T, double[]> sums = new LinkedHashMap<>(); // response -> {sum, count}
        for (T id : appearanceOrder(judgements)) {
            for (Judgement<T> j : judgements) {
                Integer rating = j.ratings().get(id);
                if (rating != null) {
                    double[] s = sums.computeIfAbsent(id, k -> new double[2]);
                    s[0] += rating;
                    s[1]++;
                }
            }
        }
        Map<T, Double> means = new LinkedHashMap<>();
        sums.forEach((id, s) -> means.put(id, s[0] / s[1]));
        return means;
    }

    /** Tie groups by mean rating, highest first; means that are equal as doubles tie (sum/count of equal fractions are). */
    private static <T> List<List<T>> byMean(Map<T, Double> means) {
        Map<Double, List<T>> byValue = new TreeMap<>(Comparator.reverseOrder());
        means.forEach((id, mean) -> byValue.computeIfAbsent(mean, k -> new ArrayList<>()).add(id));
        return List.copyOf(byValue.values());
    }

    private static <T> Map<T, Boolean> majorityLabels(List<Judgement<T>> judgements) {
        Map<T, Boolean> majority = new LinkedHashMap<>();
        for (T id : appearanceOrder(judgements)) {
            int up = 0;
            int down = 0;
            for (Judgement<T> j : judgements) {
                Boolean label = j.labels().get(id);
                if (label != null) {
                    if (label) {
                        up++;
                    } else {
                        down++;
                    }
                }
            }
            if (up + down > 0) {
                majority.put(id, up > down ? Boolean.TRUE : down > up ? Boolean.FALSE : null);
            }
        }
        return Collections.unmodifiableMap(majority);
    }

    private static <T> List<List<T>> byMajority(Map<T, Boolean> majority) {
        List<T> up = new ArrayList<>();
        List<T> none = new ArrayList<>();
        List<T> down = new ArrayList<>();
        majority.forEach((id, label) -> (label == null ? none : label ? up : down).add(id));
        return List.of(up, none, down).stream().filter(g -> !g.isEmpty()).toList();
    }

    private static <T> Set<T> appearanceOrder(List<Judgement<T>> judgements) {
        Set<T> order = new LinkedHashSet<>();
        judgements.forEach(j -> j.groups().forEach(order::addAll));
        return order;
    }
}
