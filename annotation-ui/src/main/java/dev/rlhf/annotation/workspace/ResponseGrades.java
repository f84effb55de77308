package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One grade per response of a task, for the drafts that grade each response on its own
 * ({@link RatingDraft}, {@link ThumbsDraft}): only shown responses take a grade, and the grades read
 * back in the order the responses are shown.
 *
 * @param <G> the grade (a rating, a thumb)
 */
final class ResponseGrades<G> {

    private final List<String> shownOrder;
    private final Map<String, G> grades = new LinkedHashMap<>();

    /** @param what the grades in words, for the error message ("ratings", "thumbs") */
    ResponseGrades(List<String> shownOrder, String what) {
        if (shownOrder.size() != shownOrder.stream().distinct().count() || shownOrder.isEmpty()) {
            throw new IllegalArgumentException(what + " need at least 1 response, each once: " + shownOrder);
        }
        this.shownOrder = List.copyOf(shownOrder);
    }

    void put(String responseId, G grade) {
        requireShown(responseId);
        grades.put(responseId, grade);
    }

    /** The response's grade, or null while it has none. */
    G of(String responseId) {
        requireShown(responseId);
        return grades.get(responseId);
    }

    /** The grades given so far, in the order the responses are shown. */
    Map<String, G> inShownOrder() {
        Map<String, G> inShownOrder = new LinkedHashMap<>();
        shownOrder.stream().filter(grades::containsKey).forEach(id -> inShownOrder.put(id, grades.get(id)));
        return inShownOrder;
    }

    int shown() {
        return shownOrder.size();
    }

    /** How many shown responses have no grade yet. */
    int open() {
        return shownOrder.size() - grades.size();
    }

    void requireShown(String responseId) {
        if (!shownOrder.contains(responseId)) {
            throw new IllegalArgumentException("unknown response " + responseId);
        }
    }
}
