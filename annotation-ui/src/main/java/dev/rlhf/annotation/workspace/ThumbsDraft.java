package dev.rlhf.annotation.workspace;

import java.util.List;
import java.util.Map;

import dev.rlhf.schemas.ranking.GradedFeedback;

/** Thumbs in progress: up (true) or down (false) per response; complete once every response has one. */
public final class ThumbsDraft {

    private final ResponseGrades<Boolean> labels;

    public ThumbsDraft(List<String> shownOrder) {
        this.labels = new ResponseGrades<>(shownOrder, "thumbs");
    }

    public void label(String responseId, boolean thumbsUp) {
        labels.put(responseId, thumbsUp);
    }

    /** True for thumbs up, false for down, null while the response has neither. */
    public Boolean labelOf(String responseId) {
        return labels.of(responseId);
    }

    /** The thumbs given so far, in the order the responses are shown. */
    public Map<String, Boolean> labels() {
        return labels.inShownOrder();
    }

    /** What is still to give before submitting, or null when nothing is. */
    public String missing() {
        int open = labels.open();
        return open == 0 ? null
                : "Give every response a thumbs up or down (" + open + " of " + labels.shown() + " still open)";
    }

    /** Thumbs up over thumbs down (the service derives the same). */
    public List<List<String>> groups() {
        return GradedFeedback.groupsFromLabels(labels());
    }
}
