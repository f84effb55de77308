package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.rlhf.schemas.ranking.GradedFeedback;

/** Thumbs in progress: up (true) or down (false) per response; complete once every response has one. */
public final class ThumbsDraft {

    private final List<String> shownOrder;
    private final Map<String, Boolean> labels = new LinkedHashMap<>();

    public ThumbsDraft(List<String> shownOrder) {
        if (shownOrder.size() != shownOrder.stream().distinct().count() || shownOrder.isEmpty()) {
            throw new IllegalArgumentException("thumbs need at least 1 response, each once: " + shownOrder);
        }
        this.shownOrder = List.copyOf(shownOrder);
    }

    public void label(String responseId, boolean thumbsUp) {
        requireShown(responseId);
        labels.put(responseId, thumbsUp);
    }

    /** True for thumbs up, false for down, null while the response has neither. */
    public Boolean labelOf(String responseId) {
        requireShown(responseId);
        return labels.get(responseId);
    }

    /** The thumbs given so far, in the order the responses are shown. */
    public Map<String, Boolean> labels() {
        Map<String, Boolean> inShownOrder = new LinkedHashMap<>();
        shownOrder.stream().filter(labels::containsKey).forEach(id -> inShownOrder.put(id, labels.get(id)));
        return inShownOrder;
    }

    /** What is still to give before submitting, or null when nothing is. */
    public String missing() {
        int open = shownOrder.size() - labels.size();
        return open == 0 ? null
                : "Give every response a thumbs up or down (" + open + " of " + shownOrder.size() + " still open)";
    }

    /** Thumbs up over thumbs down (the service derives the same). */
    public List<List<String>> groups() {
        return GradedFeedback.groupsFromLabels(labels());
    }

    private void requireShown(String responseId) {
        if (!shownOrder.contains(responseId)) {
            throw new IllegalArgumentException("unknown response " + responseId);
        }
    }
}
