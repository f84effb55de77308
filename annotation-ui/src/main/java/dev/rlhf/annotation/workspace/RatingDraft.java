package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * Ratings in progress: each response of the task on the 1-7 scale ({@link GradedFeedback#RATING_MIN}
 * to {@link GradedFeedback#RATING_MAX}); complete once every response has one.
 */
public final class RatingDraft {

    private final List<String> shownOrder;
    private final Map<String, Integer> ratings = new LinkedHashMap<>();

    public RatingDraft(List<String> shownOrder) {
        if (shownOrder.size() != shownOrder.stream().distinct().count() || shownOrder.isEmpty()) {
            throw new IllegalArgumentException("ratings need at least 1 response, each once: " + shownOrder);
        }
        this.shownOrder = List.copyOf(shownOrder);
    }

    public void rate(String responseId, int rating) {
        requireShown(responseId);
        if (rating < GradedFeedback.RATING_MIN || rating > GradedFeedback.RATING_MAX) {
            throw new IllegalArgumentException("a rating is " + GradedFeedback.RATING_MIN + " to " + GradedFeedback.RATING_MAX + ", not " + rating);
        }
        ratings.put(responseId, rating);
    }

    /** The response's rating, or null while it has none. */
    public Integer ratingOf(String responseId) {
        requireShown(responseId);
        return ratings.get(responseId);
    }

    /** The ratings given so far, in the order the responses are shown. */
    public Map<String, Integer> ratings() {
        Map<String, Integer> inShownOrder = new LinkedHashMap<>();
        shownOrder.stream().filter(ratings::containsKey).forEach(id -> inShownOrder.put(id, ratings.get(id)));
        return inShownOrder;
    }

    /** What is still to give before submitting, or null when nothing is. */
    public String missing() {
        int unrated = shownOrder.size() - ratings.size();
        return unrated == 0 ? null
                : "Rate every response from 1 to 7 (" + unrated + " of " + shownOrder.size() + " not rated yet)";
    }

    /** Tie groups by rating, highest first (the service derives the same). */
    public List<List<String>> groups() {
        return GradedFeedback.groupsFromRatings(ratings());
    }

    private void requireShown(String responseId) {
        if (!shownOrder.contains(responseId)) {
            throw new IllegalArgumentException("unknown response " + responseId);
        }
    }
}
