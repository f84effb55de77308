package dev.rlhf.schemas.ranking;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one reading of graded feedback that the feedback service (validation, exports) and the trainer
 * (reward margins, KTO labels) share: tie groups derived from ratings or thumbs, the margin of a
 * preference pair, and unpaired desirable/undesirable labels.
 */
public final class GradedFeedback {

    /** Likert scale of the rating mode (InstructGPT's 1-7 overall score). */
    public static final int RATING_MIN = 1;
    public static final int RATING_MAX = 7;
    /** Ratings at or above this are desirable completions in the {@code kto} export and KTO training. */
    public static final int DESIRABLE_RATING = 5;
    /** Ratings at or below this are undesirable; the middle of the scale (4) says neither and is left out. */
    public static final int UNDESIRABLE_RATING = 3;
    /** Pairwise strength: "about the same" (A ~ B, one tie group), "better" (A > B) and "much better" (A >> B). */
    public static final int ABOUT_THE_SAME = 0;
    public static final int BETTER = 1;
    public static final int MUCH_BETTER = 2;

    private GradedFeedback() {
    }

    /** Tie groups by rating, highest first; within a group, ids keep the order of {@code ratings}' iteration. */
    public static <T> List<List<T>> groupsFromRatings(Map<T, Integer> ratings) {
        Map<Integer, List<T>> byRating = new TreeMap<>(Comparator.reverseOrder());
        ratings.forEach((id, rating) -> byRating.computeIfAbsent(rating, r -> new ArrayList<>()).add(id));
        return List.copyOf(byRating.values());
    }

    /** Thumbs up over thumbs down: two tie groups, or one when every label is the same. */
    public static <T> List<List<T>> groupsFromLabels(Map<T, Boolean> labels) {
        List<T> up = new ArrayList<>();
        List<T> down = new ArrayList<>();
        labels.forEach((id, good) -> (good ? up : down).add(id));
        List<List<T>> groups = new ArrayList<>();
        if (!up.isEmpty()) {
            groups.add(up);
        }
        if (!down.isEmpty()) {
            groups.add(down);
        }
        return groups;
    }

    /**
     * The margin of the preference {@code chosen} over {@code rejected} (Llama 2's reward-model margin; TRL
     * and OpenRLHF read it as a {@code margin} column): a graded pair's strength (1 or 2), the rating
     * difference (1..6), or null where the mode grades nothing (ranking, thumbs).
     */
    public static <T> Double margin(FeedbackMode mode, Integer strength, Map<T, Integer> ratings, T chosen, T rejected) {
        return switch (mode) {
            case PAIRWISE -> strength == null || strength <= ABOUT_THE_SAME ? null : strength.doubleValue();
            case RATING -> {
                Integer a = ratings.get(chosen);
                Integer b = ratings.get(rejected);
                yield a == null || b == null || a <= b ? null : (double) (a - b);
            }
            case RANKING, BINARY -> null;
        };
    }

    /**
     * Unpaired labels (true = desirable), as TRL's KTO reads them: thumbs as given; ratings >=
     * {@link #DESIRABLE_RATING} desirable and <= {@link #UNDESIRABLE_RATING} undesirable; a ranking or a
     * graded pair split as TRL's {@code unpair_preference_dataset} splits paired data: the top tie group
     * desirable, the bottom one undesirable, the middle and a single tie group left out. Insertion order is
     * the groups' order.
     */
    public static <T> Map<T, Boolean> unpairedLabels(FeedbackMode mode, List<? extends List<T>> groups, Map<T, Integer> ratings,
                                                     Map<T, Boolean> labels) {
        Map<T, Boolean> out = new LinkedHashMap<>();
        switch (mode) {
            case BINARY -> out.putAll(labels);
            case RATING -> ratings.forEach((id, rating) -> {
                if (rating >= DESIRABLE_RATING) {
                    out.put(id, true);
                } else if (rating <= UNDESIRABLE_RATING) {
                    out.put(id, false);
                }
            });
            case RANKING, PAIRWISE -> {
                if (groups.size() >= 2) {
                    groups.getFirst().forEach(id -> out.put(id, true));
                    groups.getLast().forEach(id -> out.put(id, false));
                }
            }
        }
        return out;
    }
}
