package dev.rlhf.annotation.workspace;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ranking an annotator is building: the task's responses in their current order, grouped into
 * tie groups (best first), plus per-response flags. Every edit the workspace offers (a number key,
 * the tie key, drag and drop) is one method here, so the behaviour is tested without a browser.
 */
public final class RankingDraft {

    /** Response ids in rank order. */
    private final List<String> order;
    /** For each position after the first: true when it is tied with the response above it. */
    private final List<Boolean> tiedWithAbove;
    private final ResponseFlags flags;
    private boolean noneAcceptable;

    /** Starts in the order the responses were shown, all strictly ordered. */
    public RankingDraft(List<String> shownOrder) {
        if (new LinkedHashSet<>(shownOrder).size() != shownOrder.size() || shownOrder.size() < 2) {
            throw new IllegalArgumentException("a ranking needs at least 2 distinct responses");
        }
        this.order = new ArrayList<>(shownOrder);
        this.flags = new ResponseFlags(shownOrder);
        this.tiedWithAbove = new ArrayList<>();
        for (int i = 0; i < shownOrder.size(); i++) {
            tiedWithAbove.add(false);
        }
    }

    public List<String> order() {
        return List.copyOf(order);
    }

    public int size() {
        return order.size();
    }

    /** 1-based rank of the response as shown (tied responses share the rank of the first of their group). */
    public int rankOf(String responseId) {
        int index = indexOf(responseId);
        int rank = 1;
        for (int i = 1; i <= index; i++) {
            if (!tiedWithAbove.get(i)) {
                rank = i + 1;
            }
        }
        return rank;
    }

    public boolean isTiedWithAbove(String responseId) {
        return tiedWithAbove.get(indexOf(responseId));
    }

    /**
     * Moves the response to position {@code position} (1-based), as a number key or a drop does. It
     * becomes a group of its own there: it leaves its old tie group, and a tie group it lands inside
     * is split at that point.
     */
    public void moveTo(String responseId, int position) {
        if (position < 1 || position > order.size()) {
            throw new IllegalArgumentException("position must be between 1 and " + order.size() + ", not " + position);
        }
        int from = indexOf(responseId);
        boolean wasTied = tiedWithAbove.get(from);
        order.remove(from);
        tiedWithAbove.remove(from);
        if (!wasTied && from < order.size()) {
            // It headed its group: the next member, if any, now heads it.
            tiedWithAbove.set(from, false);
        }
        int to = position - 1;
        order.add(to, responseId);
        tiedWithAbove.add(to, false);
        if (to + 1 < order.size()) {
            tiedWithAbove.set(to + 1, false);
        }
        tiedWithAbove.set(0, false);
    }

    /** Toggles a tie between the response and the one above it (no effect on the first). */
    public void toggleTieWithAbove(String responseId) {
        int index = indexOf(responseId);
        if (index > 0) {
            tiedWithAbove.set(index, !tiedWithAbove.get(index));
        }
    }

    public void toggleFlag(String responseId, String flag) {
        flags.toggle(responseId, flag);
    }

    public Set<String> flagsOf(String responseId) {
        return flags.of(responseId);
    }

    public Map<String, List<String>> flags() {
        return flags.asMap();
    }

    public boolean noneAcceptable() {
        return noneAcceptable;
    }

    public void setNoneAcceptable(boolean noneAcceptable) {
        this.noneAcceptable = noneAcceptable;
    }

    /** The tie groups, best first: what is submitted. */
    public List<List<String>> groups() {
        List<List<String>> groups = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            if (i == 0 || !tiedWithAbove.get(i)) {
                groups.add(new ArrayList<>());
            }
            groups.getLast().add(order.get(i));
        }
        return groups.stream().map(List::copyOf).toList();
    }

    private int indexOf(String responseId) {
        int index = order.indexOf(responseId);
        if (index < 0) {
            throw new IllegalArgumentException("unknown response " + responseId);
        }
        return index;
    }
}
