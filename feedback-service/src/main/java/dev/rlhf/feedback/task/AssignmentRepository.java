package dev.rlhf.feedback.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

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

    /**
     * The best open tasks for this annotator, best first: ones they have not submitted or skipped,
     * whose rankings plus unexpired leases are below what they need; closest to completion first,
     * then oldest. Read without locks: the caller locks one and re-checks it.
     */
    public List<UUID> findCandidates(UUID projectId, UUID annotatorId, Instant now, int limit) {
        return jdbc.sql("""
                        SELECT t.id FROM tasks t
                        WHERE t.project_id = ? AND t.rankings_count < t.annotators_needed
                          AND NOT EXISTS (SELECT 1 FROM assignments mine WHERE mine.task_id = t.id AND mine.annotator_id = ?
                                          AND mine.status IN ('SUBMITTED', 'SKIPPED'))
                          AND t.rankings_count + (SELECT count(*) FROM assignments a WHERE a.task_id = t.id AND a.status = 'LEASED'
                                                  AND a.lease_expires_at > ?) < t.annotators_needed
                        ORDER BY t.rankings_count DESC, t.created_at, t.id
                        FETCH FIRST ? ROWS ONLY""")
                .params(projectId, annotatorId, utc(now), limit).query(UUID.class).list();
    }

    /** The task with its row locked, or empty when another transaction holds it (never waits, so never deadlocks). */
    public Optional<Task> tryLockTask(UUID taskId) {
        return jdbc.sql("SELECT " + TASK_COLUMNS + " FROM tasks WHERE id = ? FOR UPDATE SKIP LOCKED").param(taskId).query(this::mapTask).optional();
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
        jdbc.sql("UPDATE assignments SET status = 'SUBMITTED' WHERE id = ?").param(assignmentId).update();
    }

    public void markSkipped(UUID assignmentId, String reason) {
        jdbc.sql("UPDATE assignments SET status = 'SKIPPED', skip_reason = ? WHERE id = ?").params(reason, assignmentId).update();
    }

    public void incrementRankingsCount(UUID taskId) {
        jdbc.sql("UPDATE tasks SET rankings_count = rankings_count + 1 WHERE id = ?").param(taskId).update();
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
