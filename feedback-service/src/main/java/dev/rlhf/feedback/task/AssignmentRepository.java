package dev.rlhf.feedback.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.feedback.platform.database.SqlStatement;
import dev.rlhf.feedback.prompt.PromptRepository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Leases of tasks to annotators. Every change to a task's leases or rankings happens while holding
 * that task's row lock ({@code SELECT ... FOR UPDATE}), so counts read under the lock are exact on
 * PostgreSQL and on H2 alike (both READ COMMITTED: each statement sees the latest commits).
 */
@Repository
public class AssignmentRepository {

    private static final TypeReference<List<UUID>> IDS = new TypeReference<>() { };
    private static final String TASK_COLUMNS = "id, project_id, prompt_id, response_ids, annotators_needed, rankings_count, created_at";
    private static final String ASSIGNMENT_COLUMNS = "a.id, a.task_id, a.annotator_id, a.shown_order, a.status, a.leased_at, a.lease_expires_at";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public AssignmentRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Serializes one annotator's own requests, so two parallel "next" calls never lease two tasks. */
    public void lockAnnotator(UUID annotatorId) {
        jdbc.sql("SELECT id FROM annotators WHERE id = ? FOR UPDATE").param(annotatorId).query(UUID.class).optional();
    }

    /**
     * {@link #lockAnnotator}, and in the same round trip whether the annotator is a member of the
     * project. Read under the lock that removing a member also takes first, so a lease is never granted
     * to someone whose removal committed before it.
     */
    public boolean lockAnnotatorAndCheckMember(UUID annotatorId, UUID projectId) {
        return jdbc.sql("SELECT CASE WHEN EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = ? AND m.annotator_id = a.id) "
                        + "THEN 1 ELSE 0 END AS member FROM annotators a WHERE a.id = ? FOR UPDATE")
                .params(projectId, annotatorId).query(Integer.class).optional().orElse(0) == 1;
    }

    /**
     * Ends the annotator's unexpired leases in the project now (a member's removal): the tasks count
     * those slots as free again at once. The rows stay, as expired leases.
     */
    public int endLeases(UUID annotatorId, UUID projectId, Instant now) {
        return jdbc.sql("UPDATE assignments SET lease_expires_at = :now WHERE annotator_id = :annotator AND status = 'LEASED' "
                        + "AND lease_expires_at > :now AND task_id IN (SELECT id FROM tasks WHERE project_id = :project)")
                .param("now", utc(now)).param("annotator", annotatorId).param("project", projectId).update();
    }

    public Optional<Task> findTask(UUID taskId) {
        return jdbc.sql("SELECT " + TASK_COLUMNS + " FROM tasks WHERE id = ?").param(taskId).query(this::mapTask).optional();
    }

    /** The task, with its row locked until the transaction ends. */
    public Optional<Task> lockTask(UUID taskId) {
        return jdbc.sql("SELECT " + TASK_COLUMNS + " FROM tasks WHERE id = ? FOR UPDATE").param(taskId).query(this::mapTask).optional();
    }

    /** The caller's unexpired lease in the project, if any (the task they are working on). */
    public Optional<Assignment> findActiveLease(UUID annotatorId, UUID projectId, Instant now) {
        return jdbc.sql("SELECT " + ASSIGNMENT_COLUMNS + " FROM assignments a JOIN tasks t ON t.id = a.task_id "
                        + "WHERE a.annotator_id = ? AND t.project_id = ? AND a.status = 'LEASED' AND a.lease_expires_at > ? "
                        + "ORDER BY a.leased_at, a.id")
                .params(annotatorId, projectId, utc(now)).query(this::mapAssignment).stream().findFirst();
    }

    /** Under the annotator's lock: whether they hold an unexpired lease in the project, and if not, the best open tasks. */
    public record OpenWork(boolean holdsLease, List<UUID> candidates) {
    }

    /**
     * {@link #findActiveLease} (whether there is one) and the best open tasks ({@link #CANDIDATES}) in one round trip.
     * Run it after {@link #lockAnnotator}, as a statement of its own: a statement reads what had
     * committed when it started, and only a statement started after the lock sees the lease that
     * the same annotator's previous request committed.
     */
    public OpenWork findLeaseOrCandidates(UUID projectId, UUID annotatorId, Instant now, int limit) {
        record Row(boolean lease, UUID id, int rankingsCount, Instant createdAt) {
        }
        List<Row> rows = jdbc.sql("""
                        SELECT 1 AS lease, a.id, 0 AS rankings_count, a.leased_at AS created_at
                        FROM assignments a JOIN tasks t ON t.id = a.task_id
                        WHERE a.annotator_id = :annotator AND t.project_id = :project AND a.status = 'LEASED' AND a.lease_expires_at > :now
                        UNION ALL
                        SELECT 0, c.id, c.rankings_count, c.created_at FROM (""" + CANDIDATES + ") c")
                .param("project", projectId).param("annotator", annotatorId).param("now", utc(now)).param("limit", limit)
                .query((rs, row) -> new Row(rs.getInt("lease") == 1, rs.getObject("id", UUID.class), rs.getInt("rankings_count"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()))
                .list();
        if (rows.stream().anyMatch(Row::lease)) {
            return new OpenWork(true, List.of());
        }
        // A UNION does not keep its branches' order: sort as CANDIDATES does. Both databases order UUIDs
        // as unsigned bytes, which is the order of their lower-case text.
        return new OpenWork(false, rows.stream()
                .sorted(Comparator.comparingInt(Row::rankingsCount).reversed().thenComparing(Row::createdAt)
                        .thenComparing(r -> r.id().toString()))
                .map(Row::id).toList());
    }

    /**
     * The best open tasks for this annotator, best first: ones they have not submitted or skipped,
     * whose rankings plus unexpired leases are below what they need; closest to completion first,
     * then oldest. Read without locks: the caller locks one and re-checks it. Named parameters
     * :project, :annotator, :now and :limit.
     */
    private static final String CANDIDATES = """
            SELECT t.id, t.rankings_count, t.created_at FROM tasks t
            WHERE t.project_id = :project AND t.rankings_count < t.annotators_needed
              AND NOT EXISTS (SELECT 1 FROM assignments mine WHERE mine.task_id = t.id AND mine.annotator_id = :annotator
                              AND mine.status IN ('SUBMITTED', 'SKIPPED'))
              AND t.rankings_count + (SELECT count(*) FROM assignments a WHERE a.task_id = t.id AND a.status = 'LEASED'
                                      AND a.lease_expires_at > :now) < t.annotators_needed
            ORDER BY t.rankings_count DESC, t.created_at, t.id
            FETCH FIRST :limit ROWS ONLY""";

    /** What a lease of a locked task depends on, and what showing it needs, read in one round trip. */
    public record LeaseCheck(int othersActiveLeases, String myStatus, PromptRepository.PromptWithResponses prompt) {
    }

    /**
     * Under the task's row lock (as a statement of its own after taking it, so it sees every commit
     * made before the lock was granted): the unexpired leases of others, the status of the caller's
     * own assignment (null when none), and the task's prompt with its responses.
     */
    public LeaseCheck checkLockedTask(Task task, UUID annotatorId, Instant now, PromptRepository.PromptRows promptRows) {
        int[] others = {0};
        String[] mine = {null};
        jdbc.sql("SELECT (SELECT count(*) FROM assignments o WHERE o.task_id = :task AND o.annotator_id <> :annotator "
                        + "AND o.status = 'LEASED' AND o.lease_expires_at > :now) AS others_active, "
                        + "(SELECT m.status FROM assignments m WHERE m.task_id = :task AND m.annotator_id = :annotator) AS my_status, "
                        + PromptRepository.PROMPT_WITH_RESPONSES_COLUMNS
                        + " FROM prompts p LEFT JOIN responses r ON r.prompt_id = p.id AND r.id IN (:responses) WHERE p.id = :prompt")
                .param("task", task.id()).param("annotator", annotatorId).param("now", utc(now))
                .param("responses", task.responseIds()).param("prompt", task.promptId())
                .query(rs -> {
                    others[0] = rs.getInt("others_active");
                    mine[0] = rs.getString("my_status");
                    promptRows.add(rs);
                });
        return new LeaseCheck(others[0], mine[0], promptRows.result().orElseThrow());
    }

    /** The task with its row locked, or empty when another transaction holds it (never waits, so never deadlocks). */
    public Optional<Task> tryLockTask(UUID taskId) {
        return jdbc.sql("SELECT " + TASK_COLUMNS + " FROM tasks WHERE id = ? FOR UPDATE SKIP LOCKED").param(taskId).query(this::mapTask).optional();
    }

    /**
     * A task locked for a submission, with the caller's assignment, the task's prompt and responses,
     * and whether the caller is a member of the task's project.
     */
    public record LockedForSubmission(Task task, Assignment assignment, PromptRepository.PromptWithResponses prompt, boolean member) {
    }

    /**
     * PostgreSQL only ({@code FOR UPDATE OF}): locks the task and the caller's assignment and reads
     * them with the prompt and its responses, in one round trip. Locking the assignment row as well
     * matters: when the task or the assignment changed while this waited for the lock, PostgreSQL
     * re-reads their latest versions (otherwise a statement sees only what had committed when it
     * started). Empty when there is no such task or the caller has no assignment for it.
     */
    public Optional<LockedForSubmission> lockForSubmission(UUID taskId, UUID annotatorId, PromptRepository.PromptRows promptRows) {
        List<Task> task = new ArrayList<>(1);
        List<Assignment> assignment = new ArrayList<>(1);
        boolean[] member = {false};
        jdbc.sql("SELECT t.id AS t_id, t.project_id AS t_project_id, t.prompt_id AS t_prompt_id, t.response_ids AS t_response_ids, "
                        + "t.annotators_needed AS t_annotators_needed, t.rankings_count AS t_rankings_count, t.created_at AS t_created_at, "
                        + "a.id AS a_id, a.shown_order AS a_shown_order, a.status AS a_status, a.leased_at AS a_leased_at, "
                        + "a.lease_expires_at AS a_lease_expires_at, "
                        + "CASE WHEN EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = t.project_id AND m.annotator_id = :annotator) "
                        + "THEN 1 ELSE 0 END AS a_member, " + PromptRepository.PROMPT_WITH_RESPONSES_COLUMNS
                        + " FROM tasks t JOIN assignments a ON a.task_id = t.id AND a.annotator_id = :annotator"
                        + " JOIN prompts p ON p.id = t.prompt_id LEFT JOIN responses r ON r.prompt_id = p.id"
                        + " WHERE t.id = :task FOR UPDATE OF t, a")
                .param("task", taskId).param("annotator", annotatorId)
                .query(rs -> {
                    if (task.isEmpty()) {
                        Task t = new Task(rs.getObject("t_id", UUID.class), rs.getObject("t_project_id", UUID.class),
                                rs.getObject("t_prompt_id", UUID.class), json.readValue(rs.getString("t_response_ids"), IDS),
                                rs.getInt("t_annotators_needed"), rs.getInt("t_rankings_count"),
                                rs.getObject("t_created_at", OffsetDateTime.class).toInstant());
                        task.add(t);
                        assignment.add(new Assignment(rs.getObject("a_id", UUID.class), t.id(), annotatorId,
                                json.readValue(rs.getString("a_shown_order"), IDS), rs.getString("a_status"),
                                rs.getObject("a_leased_at", OffsetDateTime.class).toInstant(),
                                rs.getObject("a_lease_expires_at", OffsetDateTime.class).toInstant()));
                        member[0] = rs.getInt("a_member") == 1;
                    }
                    promptRows.add(rs);
                });
        if (task.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LockedForSubmission(task.getFirst(), assignment.getFirst(), promptRows.result().orElseThrow(), member[0]));
    }

    /** Unexpired leases of the task held by annotators other than {@code annotatorId}. */
    public int countActiveLeasesOfOthers(UUID taskId, UUID annotatorId, Instant now) {
        return jdbc.sql("SELECT count(*) FROM assignments WHERE task_id = ? AND annotator_id <> ? AND status = 'LEASED' AND lease_expires_at > ?")
                .params(taskId, annotatorId, utc(now)).query(Integer.class).single();
    }

    public Optional<Assignment> find(UUID taskId, UUID annotatorId) {
        return jdbc.sql("SELECT " + ASSIGNMENT_COLUMNS + " FROM assignments a WHERE a.task_id = ? AND a.annotator_id = ?")
                .params(taskId, annotatorId).query(this::mapAssignment).optional();
    }

    public void insert(Assignment a) {
        jdbc.sql("INSERT INTO assignments (id, task_id, annotator_id, shown_order, status, leased_at, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(a.id(), a.taskId(), a.annotatorId(), json.writeValueAsString(a.shownOrder()), a.status(), utc(a.leasedAt()),
                        utc(a.leaseExpiresAt()))
                .update();
    }

    /** An expired lease taken up again by the same annotator (the row is unique per task and annotator). */
    public void renewLease(UUID assignmentId, Instant leasedAt, Instant expiresAt) {
        jdbc.sql("UPDATE assignments SET status = 'LEASED', leased_at = ?, lease_expires_at = ? WHERE id = ?")
                .params(utc(leasedAt), utc(expiresAt), assignmentId).update();
    }

    public void markSubmitted(UUID assignmentId) {
        SqlStatement update = markSubmittedStatement(assignmentId);
        jdbc.sql(update.sql()).params(update.params()).update();
    }

    /** The UPDATE of {@link #markSubmitted}, for a caller that sends it together with other statements. */
    public SqlStatement markSubmittedStatement(UUID assignmentId) {
        return new SqlStatement("UPDATE assignments SET status = 'SUBMITTED' WHERE id = ?", List.of(assignmentId));
    }

    public void markSkipped(UUID assignmentId, String reason) {
        jdbc.sql("UPDATE assignments SET status = 'SKIPPED', skip_reason = ? WHERE id = ?").params(reason, assignmentId).update();
    }

    public void incrementRankingsCount(UUID taskId) {
        SqlStatement update = incrementRankingsCountStatement(taskId);
        jdbc.sql(update.sql()).params(update.params()).update();
    }

    /** The UPDATE of {@link #incrementRankingsCount}, for a caller that sends it together with other statements. */
    public SqlStatement incrementRankingsCountStatement(UUID taskId) {
        return new SqlStatement("UPDATE tasks SET rankings_count = rankings_count + 1 WHERE id = ?", List.of(taskId));
    }

    private Task mapTask(ResultSet rs, int row) throws SQLException {
        return new Task(rs.getObject("id", UUID.class), rs.getObject("project_id", UUID.class), rs.getObject("prompt_id", UUID.class),
                json.readValue(rs.getString("response_ids"), IDS), rs.getInt("annotators_needed"), rs.getInt("rankings_count"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }

    private Assignment mapAssignment(ResultSet rs, int row) throws SQLException {
        return new Assignment(rs.getObject("id", UUID.class), rs.getObject("task_id", UUID.class), rs.getObject("annotator_id", UUID.class),
                json.readValue(rs.getString("shown_order"), IDS), rs.getString("status"),
                rs.getObject("leased_at", OffsetDateTime.class).toInstant(), rs.getObject("lease_expires_at", OffsetDateTime.class).toInstant());
    }

    static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
