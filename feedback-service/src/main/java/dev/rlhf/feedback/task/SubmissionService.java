package dev.rlhf.feedback.task;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiConsumer;

import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.outbox.OutboxWriter;
import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.feedback.platform.database.DatabaseKind;
import dev.rlhf.feedback.platform.database.DurableCommits;
import dev.rlhf.feedback.project.ProjectMemberRepository;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Response;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.ranking.Grades;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * Accepts rankings, and in the other feedback modes the graded pair, ratings or thumbs that a ranking is
 * derived from (validated by the task's project's mode). The ranking, the assignment's and task's bookkeeping and the
 * {@code RankingSubmitted} outbox row commit in one transaction; the caller is answered only after
 * that commit, and the outbox relay delivers the event whether or not Kafka is up right now.
 */
@Service
public class SubmissionService {

    public static final int MAX_REWRITE_CHARS = 100_000;
    /** The longest {@code durationMs} accepted: 7 days, the longest lease a project can set. */
    public static final long MAX_DURATION_MS = 7L * 24 * 3600 * 1000;

    private final AssignmentRepository assignments;
    private final RankingRepository rankings;
    private final PromptRepository prompts;
    private final OutboxWriter outbox;
    private final AnnotatorService annotators;
    private final TransactionOperations tx;
    private final Clock clock;
    private final String rankingsTopic;
    private final DatabaseKind database;
    private final DurableCommits durable;
    private final ProjectMemberRepository members;
    private final ProjectService projects;

    public SubmissionService(AssignmentRepository assignments, RankingRepository rankings, PromptRepository prompts, OutboxWriter outbox,
                             AnnotatorService annotators, TransactionOperations tx, Clock clock, RlhfProperties properties,
                             DatabaseKind database, DurableCommits durable, ProjectMemberRepository members, ProjectService projects) {
        this.assignments = assignments;
        this.rankings = rankings;
        this.prompts = prompts;
        this.outbox = outbox;
        this.annotators = annotators;
        this.tx = tx;
        this.clock = clock;
        this.rankingsTopic = properties.topics().rankings();
        this.database = database;
        this.durable = durable;
        this.members = members;
        this.projects = projects;
    }

    public record Submitted(UUID rankingId, UUID eventId) {
    }

    public Submitted submit(String username, UUID taskId, RankingSubmission body) {
        return submit(annotators.byUsername(username), taskId, body);
    }

    /**
     * As {@link #submit(String, UUID, RankingSubmission)}, for a caller whose account is at hand.
     * On PostgreSQL that is three round trips: lock and read everything, write everything (one
     * statement: the ranking, the assignment, the task's count and the outbox row), commit. On H2,
     * which has neither {@code FOR UPDATE OF} nor data-modifying CTEs, the same steps take a
     * statement each. The answer comes only once the commit is on the storage device
     * ({@link DurableCommits}: PostgreSQL's commit already is; on H2 one more {@code CHECKPOINT SYNC}).
     */
    public Submitted submit(Annotator annotator, UUID taskId, RankingSubmission body) {
        Submitted submitted = tx.execute(status -> {
            // Millisecond precision, as the event's timestamp-millis carries it.
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            Task task;
            Assignment held;
            PromptRepository.PromptWithResponses prompt = null;
            if (database.isPostgres()) {
                var locked = assignments.lockForSubmission(taskId, annotator.id(), prompts.rows()).orElseThrow(() -> {
                    assignments.lockTask(taskId).orElseThrow(() -> ApiException.notFound("No task " + taskId));
                    return notAssigned(taskId);
                });
                task = locked.task();
                requireMember(task, annotator, locked.member());
                held = heldAssignment(task, Optional.of(locked.assignment()), annotator, now);
                prompt = locked.prompt();
            } else {
                task = assignments.lockTask(taskId).orElseThrow(() -> ApiException.notFound("No task " + taskId));
                requireMember(task, annotator, annotator.isAdmin() || members.isMember(task.projectId(), annotator.id()));
                held = heldAssignment(task, assignments.find(task.id(), annotator.id()), annotator, now);
            }
            // The project's settings come from ProjectService's short-lived cache: no extra round trip per submission.
            FeedbackMode mode = projects.get(task.projectId()).feedbackMode();
            Ranking ranking = validated(task, held, annotator, body, now, mode);
            if (database.isPostgres()) {
                outbox.appendWith(List.of(rankings.insertStatement(ranking), assignments.markSubmittedStatement(held.id()),
                                assignments.incrementRankingsCountStatement(task.id())),
                        rankingsTopic, task.promptId().toString(), event(ranking, task, annotator, prompt));
            } else {
                rankings.insert(ranking);
                assignments.markSubmitted(held.id());
                assignments.incrementRankingsCount(task.id());
                prompt = prompts.findPromptWithResponses(task.promptId(), task.responseIds()).orElseThrow();
                outbox.append(rankingsTopic, task.promptId().toString(), event(ranking, task, annotator, prompt));
            }
            return new Submitted(ranking.id(), ranking.eventId());
        });
        durable.afterCommit();
        return submitted;
    }

    /** Only a member of the task's project (or an admin) may rank it: a removed member's leases are void. */
    private static void requireMember(Task task, Annotator annotator, boolean member) {
        if (!member && !annotator.isAdmin()) {
            throw ApiException.forbidden("Task " + task.id() + " is not assigned to you: you are not a member of its project");
        }
    }

    private static ApiException notAssigned(UUID taskId) {
        return ApiException.forbidden("Task " + taskId + " is not assigned to you");
    }

    /**
     * The caller's assignment, if they may still submit: an unexpired lease, or an expired one
     * whose slot nobody else has taken since (the task's row lock makes this count exact).
     */
    private Assignment heldAssignment(Task task, Optional<Assignment> found, Annotator annotator, Instant now) {
        Assignment a = found.orElseThrow(() -> notAssigned(task.id()));
        switch (a.status()) {
            case Assignment.SUBMITTED -> throw ApiException.conflict("You already submitted a ranking for task " + task.id());
            case Assignment.SKIPPED -> throw ApiException.forbidden("Task " + task.id() + " is not assigned to you: you skipped it");
            default -> { }
        }
        if (!a.activeAt(now)) {
            int taken = task.rankingsCount() + assignments.countActiveLeasesOfOthers(task.id(), annotator.id(), now);
            if (taken >= task.annotatorsNeeded()) {
                throw ApiException.forbidden("Task " + task.id() + " is not assigned to you: your lease expired at " + a.leaseExpiresAt()
                        + " and the task went to another annotator");
            }
        }
        return a;
    }

    private Ranking validated(Task task, Assignment a, Annotator annotator, RankingSubmission body, Instant now, FeedbackMode mode) {
        Set<UUID> expected = new HashSet<>(task.responseIds());
        List<List<UUID>> posted = postedGroups(body.ranking());
        List<List<UUID>> groups;
        Grades grades;
        switch (mode) {
            case RANKING -> {
                refuseGrades(mode, body, true, true, true);
                groups = requireOrdering(posted, expected);
                grades = Grades.RANKING;
            }
            case PAIRWISE -> {
                refuseGrades(mode, body, false, true, true);
                groups = requireOrdering(posted, expected);
                grades = new Grades(mode, pairwiseStrength(groups, body.strength()), Map.of(), Map.of());
            }
            case RATING -> {
                refuseGrades(mode, body, true, false, true);
                grades = new Grades(mode, null, perResponse("ratings", body.ratings(), task, SubmissionService::checkRating), Map.of());
                // Derived over the task's response order, so tied ids are listed the same way for every annotator.
                groups = derivedGroups(posted, GradedFeedback.groupsFromRatings(inTaskOrder(task, grades.ratings())), "ratings");
            }
            case BINARY -> {
                refuseGrades(mode, body, true, true, false);
                grades = new Grades(mode, null, Map.of(), perResponse("labels", body.labels(), task, (field, label) -> { }));
                groups = derivedGroups(posted, GradedFeedback.groupsFromLabels(inTaskOrder(task, grades.labels())), "labels");
            }
            default -> throw new IllegalStateException("unknown feedback mode " + mode);
        }
        Map<UUID, List<String>> flags = new LinkedHashMap<>();
        if (Inputs.noNullValues("flags", body.flags()) != null) {
            for (var entry : body.flags().entrySet()) {
                String field = "flags." + entry.getKey();
                UUID id = responseId(entry.getKey(), field, "flags name response " + entry.getKey() + ", which is not in this task");
                if (!expected.contains(id)) {
                    throw ApiException.invalid(field, "flags name response " + id + ", which is not in this task");
                }
                List<String> values = Inputs.noNulls(field, entry.getValue());
                for (String flag : values) {
                    if (!Ranking.FLAGS.contains(flag)) {
                        throw ApiException.invalid(field, "unknown flag '" + flag + "' on response " + id + "; known flags: "
                                + String.join(", ", new TreeSet<>(Ranking.FLAGS)));
                    }
                }
                if (!values.isEmpty()) {
                    flags.put(id, List.copyOf(new TreeSet<>(values)));
                }
            }
        }
        String rewrite = body.rewrite() == null || body.rewrite().isBlank() ? null : Inputs.text("rewrite", body.rewrite(), MAX_REWRITE_CHARS);
        return new Ranking(UUID.randomUUID(), UUID.randomUUID(), task.id(), a.id(), task.promptId(), task.projectId(), annotator.id(),
                Ranking.ANNOTATOR, groups, flags, Boolean.TRUE.equals(body.noneAcceptable()), rewrite, durationMs(body.durationMs()), now,
                grades);
    }

    /** The posted tie groups as response ids, or null when none were posted. */
    private static List<List<UUID>> postedGroups(List<List<String>> ranking) {
        List<List<String>> posted = Inputs.noNulls("ranking", ranking);
        if (posted == null) {
            return null;
        }
        List<List<UUID>> groups = new ArrayList<>();
        for (int g = 0; g < posted.size(); g++) {
            List<UUID> ids = new ArrayList<>();
            for (String id : Inputs.noNulls("ranking[" + g + "]", posted.get(g))) {
                ids.add(responseId(id, "ranking", "ranking names response " + id + ", which is not in this task"));
            }
            groups.add(ids);
        }
        return groups;
    }

    /** The posted groups when they order exactly the task's responses; else a 400 on {@code ranking}. */
    private static List<List<UUID>> requireOrdering(List<List<UUID>> posted, Set<UUID> expected) {
        String problem = Ranking.orderingProblem(posted == null ? List.of() : posted, expected);
        if (problem != null) {
            throw ApiException.invalid("ranking", problem);
        }
        return posted;
    }

    /**
     * A grade the project's mode does not collect is refused rather than dropped, so a client built for
     * another mode learns at once. An empty {@code ratings} or {@code labels} object counts as not posted.
     */
    private static void refuseGrades(FeedbackMode mode, RankingSubmission body, boolean strength, boolean ratings, boolean labels) {
        if (strength && body.strength() != null) {
            throw notCollected("strength", mode);
        }
        if (ratings && body.ratings() != null && !body.ratings().isEmpty()) {
            throw notCollected("ratings", mode);
        }
        if (labels && body.labels() != null && !body.labels().isEmpty()) {
            throw notCollected("labels", mode);
        }
    }

    private static ApiException notCollected(String field, FeedbackMode mode) {
        String collects = switch (mode) {
            case RANKING -> "a ranking";
            case PAIRWISE -> "a ranking and a strength";
            case RATING -> "ratings";
            case BINARY -> "labels";
        };
        return ApiException.invalid(field, "this project's feedback mode is " + mode + ", which takes " + collects + ", not " + field);
    }

    /**
     * A graded pair's strength: 1 (better) or 2 (much better) when one response won (two groups); 0 or
     * absent when the two are about the same (one tie group), stored as 0.
     */
    private static Integer pairwiseStrength(List<List<UUID>> groups, Integer strength) {
        if (groups.size() > 2) {
            // Only a task made before the project became pairwise has more than 2 responses; a grade orders two groups.
            throw ApiException.invalid("ranking", "a graded pair is two tie groups (one wins) or one (about the same), not " + groups.size());
        }
        if (groups.size() == 1) {
            if (strength != null && strength != GradedFeedback.ABOUT_THE_SAME) {
                throw ApiException.invalid("strength", "strength must be 0 (about the same) or absent when the ranking is one tie group, not "
                        + strength);
            }
            return GradedFeedback.ABOUT_THE_SAME;
        }
        if (strength == null) {
            throw ApiException.invalid("strength", "strength is required when one response wins: 1 (better) or 2 (much better)");
        }
        if (strength != GradedFeedback.BETTER && strength != GradedFeedback.MUCH_BETTER) {
            throw ApiException.invalid("strength", "strength must be 1 (better) or 2 (much better) when one response wins, not " + strength);
        }
        return strength;
    }

    private static void checkRating(String field, Integer rating) {
        if (rating < GradedFeedback.RATING_MIN || rating > GradedFeedback.RATING_MAX) {
            throw ApiException.invalid(field, field + " must be between " + GradedFeedback.RATING_MIN + " and " + GradedFeedback.RATING_MAX
                    + ", not " + rating);
        }
    }

    /**
     * One value per response of the task, each response exactly once (ids compared as UUIDs, so two
     * spellings of one id count twice), each value checked by {@code check}; else a 400 naming the field.
     */
    private static <V> Map<UUID, V> perResponse(String field, Map<String, V> posted, Task task,
                                                BiConsumer<String, V> check) {
        if (posted == null || posted.isEmpty()) {
            throw ApiException.invalid(field, field + " is required in this project's feedback mode: one per response of the task");
        }
        Inputs.noNullValues(field, posted);
        Set<UUID> expected = new HashSet<>(task.responseIds());
        Map<UUID, V> values = new LinkedHashMap<>();
        for (var entry : posted.entrySet()) {
            String entryField = field + "." + entry.getKey();
            UUID id = responseId(entry.getKey(), entryField, field + " name response " + entry.getKey() + ", which is not in this task");
            if (!expected.contains(id)) {
                throw ApiException.invalid(entryField, field + " name response " + id + ", which is not in this task");
            }
            if (values.put(id, entry.getValue()) != null) {
                throw ApiException.invalid(entryField, field + " name response " + id + " more than once");
            }
            check.accept(entryField, entry.getValue());
        }
        if (!values.keySet().equals(expected)) {
            Set<UUID> missing = new LinkedHashSet<>(task.responseIds());
            missing.removeAll(values.keySet());
            throw ApiException.invalid(field, field + " is missing response" + (missing.size() > 1 ? "s " : " ") + missing);
        }
        return values;
    }

    /** {@code values} in the order of the task's responses. */
    private static <V> Map<UUID, V> inTaskOrder(Task task, Map<UUID, V> values) {
        Map<UUID, V> ordered = new LinkedHashMap<>();
        task.responseIds().forEach(id -> ordered.put(id, values.get(id)));
        return ordered;
    }

    /**
     * The ranking derived from the grades; a posted ranking must be the same tie groups in the same order
     * (the order within a group does not matter), so a client cannot send a ranking its grades contradict.
     */
    private static List<List<UUID>> derivedGroups(List<List<UUID>> posted, List<List<UUID>> derived, String from) {
        if (posted != null && !asSets(posted).equals(asSets(derived))) {
            throw ApiException.invalid("ranking", "ranking " + posted + " is not the one the " + from + " give, " + derived
                    + "; leave it out to have it derived");
        }
        return derived;
    }

    private static List<Set<UUID>> asSets(List<List<UUID>> groups) {
        return groups.stream().<Set<UUID>>map(HashSet::new).toList();
    }

    /**
     * The time the annotator spent, as posted: required, so the database, the exports and the
     * {@code RankingSubmitted} event (whose {@code durationMs} is a plain long) all carry the same number;
     * at most {@link #MAX_DURATION_MS}, the longest a lease can last.
     */
    static long durationMs(Long posted) {
        if (posted == null) {
            throw ApiException.invalid("durationMs", "durationMs is required: the milliseconds the annotator spent on the task");
        }
        if (posted < 0 || posted > MAX_DURATION_MS) {
            throw ApiException.invalid("durationMs", "durationMs must be between 0 and " + MAX_DURATION_MS + " (7 days), not " + posted);
        }
        return posted;
    }

    private static UUID responseId(String id, String field, String problem) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, problem);
        }
    }

    /** The grades keyed by response id text, written in the task's response order (a reader may not keep it: Avro maps are unordered). */
    private static <V> Map<String, V> byIdString(Task task, Map<UUID, V> grades) {
        Map<String, V> out = new LinkedHashMap<>();
        task.responseIds().stream().filter(grades::containsKey).forEach(id -> out.put(id.toString(), grades.get(id)));
        return out;
    }

    /** The event carries the texts it refers to, so the trainer never reads this database. */
    private RankingSubmitted event(Ranking r, Task task, Annotator annotator, PromptRepository.PromptWithResponses found) {
        Conversation conversation = found.prompt().conversation();
        Map<UUID, Response> byId = new LinkedHashMap<>();
        found.responses().forEach(resp -> byId.put(resp.id(), resp));
        List<RankedResponse> responses = task.responseIds().stream().map(byId::get)
                .map(resp -> RankedResponse.newBuilder().setId(resp.id().toString()).setText(resp.text())
                        .setPolicyVersion(resp.policyVersion()).setModel(resp.model()).build())
                .toList();
        Map<String, List<String>> flags = new LinkedHashMap<>();
        r.flags().forEach((id, values) -> flags.put(id.toString(), values));
        boolean plainPrompt = conversation.turns().size() == 1 && conversation.turns().getFirst().role().equals(Turn.USER);
        return RankingSubmitted.newBuilder()
                .setEventId(r.eventId())
                .setProjectId(r.projectId().toString())
                .setPromptId(r.promptId().toString())
                .setPrompt(conversation.asText())
                .setResponses(responses)
                .setRanking(r.groups().stream().map(g -> g.stream().map(UUID::toString).toList()).toList())
                .setFlags(flags)
                .setRewrite(r.rewrite())
                .setAnnotatorId(annotator.username())
                .setSubmittedAt(r.submittedAt())
                .setDurationMs(r.durationMs()) // never null for an annotator's ranking (durationMs is required)
                // Per the schema: the turns of a conversation, empty for a single plain prompt.
                .setConversation(plainPrompt ? List.of() : conversation.turns().stream()
                        .map(t -> dev.rlhf.schemas.events.Turn.newBuilder().setRole(t.role()).setContent(t.content()).build()).toList())
                .setNoneAcceptable(r.noneAcceptable())
                .setFeedbackMode(r.grades().mode().wireName())
                .setStrength(r.grades().strength())
                .setRatings(byIdString(task, r.grades().ratings()))
                .setLabels(byIdString(task, r.grades().labels()))
                .build();
    }
}
