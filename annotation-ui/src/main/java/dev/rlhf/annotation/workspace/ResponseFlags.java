package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The flags (harmful, untruthful, off-topic, other) an annotator set on a task's responses; the same
 * in every feedback mode.
 */
public final class ResponseFlags {

    /** Flags an annotator can set on a response (the API's known flags). */
    public static final List<String> KNOWN = List.of("harmful", "untruthful", "off-topic", "other");

    private final Set<String> responseIds;
    private final Map<String, Set<String>> flags = new LinkedHashMap<>();

    public ResponseFlags(List<String> responseIds) {
        this.responseIds = Set.copyOf(responseIds);
    }

    public void toggle(String responseId, String flag) {
        requireKnown(responseId);
        Set<String> set = flags.computeIfAbsent(responseId, k -> new TreeSet<>());
        if (!set.remove(flag)) {
            set.add(flag);
        }
        if (set.isEmpty()) {
            flags.remove(responseId);
        }
    }

    public Set<String> of(String responseId) {
        return Set.copyOf(flags.getOrDefault(responseId, Set.of()));
    }

    /** Per flagged response, its flags sorted: what is submitted. */
    public Map<String, List<String>> asMap() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        flags.forEach((id, set) -> copy.put(id, List.copyOf(set)));
        return copy;
    }

    void requireKnown(String responseId) {
        if (!responseIds.contains(responseId)) {
            throw new IllegalArgumentException("unknown response " + responseId);
        }
    }
}
