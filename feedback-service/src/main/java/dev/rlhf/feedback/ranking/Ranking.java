package dev.rlhf.feedback.ranking;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One ranking of a prompt's responses: tie groups, best group first. Submitted by an annotator
 * through an assignment, or imported (OASST consensus, an HH or pairs preference).
 *
 * @param source         {@value #ANNOTATOR} or the import format (oasst, hh, pairs)
 * @param flags          per response id: harmful, untruthful, off-topic, other
 * @param noneAcceptable the annotator judged every response unacceptable
 * @param rewrite        the annotator's improved response (a demonstration), or null
 * @param grades         the graded pair, ratings or thumbs the groups were derived from; {@link Grades#RANKING} for a ranking
 */
public record Ranking(UUID id, UUID eventId, UUID taskId, UUID assignmentId, UUID promptId, UUID projectId, UUID annotatorId,
                      String source, List<List<UUID>> groups, Map<UUID, List<String>> flags, boolean noneAcceptable,
                      String rewrite, Long durationMs, Instant submittedAt, Grades grades) {

    /** A plain ranking (an import, or a ranking project's submission). */
    public Ranking(UUID id, UUID eventId, UUID taskId, UUID assignmentId, UUID promptId, UUID projectId, UUID annotatorId,
                   String source, List<List<UUID>> groups, Map<UUID, List<String>> flags, boolean noneAcceptable,
                   String rewrite, Long durationMs, Instant submittedAt) {
        this(id, eventId, taskId, assignmentId, promptId, projectId, annotatorId, source, groups, flags, noneAcceptable, rewrite,
                durationMs, submittedAt, Grades.RANKING);
    }

    public static final String ANNOTATOR = "annotator";
    public static final Set<String> FLAGS = Set.of("harmful", "untruthful", "off-topic", "other");

    public Ranking {
        groups = groups.stream().map(List::copyOf).toList();
        flags = Map.copyOf(flags);
    }

    /** Every response id in rank order. */
    public List<UUID> responseIds() {
        List<UUID> all = new ArrayList<>();
        groups.forEach(all::addAll);
        return all;
    }

    /**
     * Checks that {@code groups} is a complete ordering of exactly {@code expected}: every response
     * once, none missing, none foreign, no empty group. Returns the problem, or null when valid.
     */
    public static String orderingProblem(List<List<UUID>> groups, Set<UUID> expected) {
        if (groups == null || groups.isEmpty()) {
            return "ranking is empty";
        }
        Set<UUID> seen = new LinkedHashSet<>();
        for (List<UUID> group : groups) {
            if (group == null || group.isEmpty()) {
                return "ranking has an empty tie group";
            }
            for (UUID id : group) {
                if (!expected.contains(id)) {
                    return "ranking names response " + id + ", which is not in this task";
                }
                if (!seen.add(id)) {
                    return "ranking names response " + id + " more than once";
                }
            }
        }
        if (!seen.equals(expected)) {
            Set<UUID> missing = new LinkedHashSet<>(expected);
            missing.removeAll(seen);
            return "ranking is missing response" + (missing.size() > 1 ? "s " : " ") + missing;
        }
        return null;
    }
}
