package dev.rlhf.feedback.ranking;

import java.util.Map;
import java.util.UUID;

import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * What an annotator gave beyond the tie groups, by feedback mode; the groups are derived from it
 * ({@link dev.rlhf.schemas.ranking.GradedFeedback}).
 *
 * @param strength pairwise: 0 about the same, 1 better, 2 much better; else null
 * @param ratings  rating: per response, 1..7; else empty
 * @param labels   binary: per response, true = thumbs up; else empty
 */
public record Grades(FeedbackMode mode, Integer strength, Map<UUID, Integer> ratings, Map<UUID, Boolean> labels) {

    /** A plain ranking: nothing beyond its tie groups. */
    public static final Grades RANKING = new Grades(FeedbackMode.RANKING, null, Map.of(), Map.of());

    public Grades {
        ratings = Map.copyOf(ratings);
        labels = Map.copyOf(labels);
    }
}
