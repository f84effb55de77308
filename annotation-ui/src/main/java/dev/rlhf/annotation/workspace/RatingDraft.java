package dev.rlhf.annotation.workspace;

import java.util.List;
import java.util.Map;

import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * Ratings in progress: each response of the task on the 1-7 scale ({@link GradedFeedback#RATING_MIN}
 * to {@link GradedFeedback#RATING_MAX}); complete once every response has one.
 */
public final class RatingDraft {

    private final ResponseGrades<Integer> ratings;

    public RatingDraft(List<String> shownOrder) {
        this.ratings = new ResponseGrades<>(shownOrder, "ratings");
    }

    public void rate(String responseId, int rating) {
        ratings.requireShown(responseId);
        if (rating < GradedFeedback.RATING_MIN || rating > GradedFeedback.RATING_MAX) {
            throw new IllegalArgumentException("a rating is " + GradedFeedback.RATING_MIN + " to " + GradedFeedback.RATING_MAX + ", not " + rating);
        }
        ratings.put(responseId, rating);
    }

    /** The response's rating, or null while it has none. */
    public Integer ratingOf(String responseId) {
        return ratings.of(responseId);
    }

    /** The ratings given so far, in the order the responses are shown. */
    public Map<String, Integer> ratings() {
        return ratings.inShownOrder();
    }

    /** What is still to give before submitting, or null when nothing is. */
    public String missing() {
        int unrated = ratings.open();
        return unrated == 0 ? null
                : "Rate every response from 1 to 7 (" + unrated + " of " + ratings.shown() + " not rated yet)";
    }

    /** Tie groups by rating, highest first (the service derives the same). */
    public List<List<String>> groups() {
        return GradedFeedback.groupsFromRatings(ratings());
    }
}
