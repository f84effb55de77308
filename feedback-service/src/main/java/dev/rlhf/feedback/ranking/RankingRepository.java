package dev.rlhf.feedback.ranking;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.feedback.platform.database.SqlStatement;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class RankingRepository {

    /** Every column {@link #map} reads, for queries of rankings written elsewhere. */
    public static final String COLUMNS = "id, event_id, task_id, assignment_id, prompt_id, project_id, annotator_id, source, ranking, flags, "
            + "none_acceptable, rewrite, duration_ms, submitted_at, feedback_mode, strength, ratings, labels";
    private static final TypeReference<List<List<UUID>>> GROUPS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, List<String>>> FLAGS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Integer>> RATINGS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Boolean>> LABELS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public RankingRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void insert(Ranking r) {
        SqlStatement insert = insertStatement(r);
        jdbc.sql(insert.sql()).params(insert.params()).update();
    }

    /** The INSERT of {@link #insert}, for a caller that sends it together with other statements. */
    public SqlStatement insertStatement(Ranking r) {
        return new SqlStatement("INSERT INTO rankings (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Arrays.asList(r.id(), r.eventId(), r.taskId(), r.assignmentId(), r.promptId(), r.projectId(), r.annotatorId(), r.source(),
                        json.writeValueAsString(r.groups()), json.writeValueAsString(r.flags()), r.noneAcceptable(), r.rewrite(),
                        r.durationMs(), OffsetDateTime.ofInstant(r.submittedAt(), ZoneOffset.UTC), r.grades().mode().wireName(),
                        r.grades().strength(), r.grades().ratings().isEmpty() ? null : json.writeValueAsString(r.grades().ratings()),
                        r.grades().labels().isEmpty() ? null : json.writeValueAsString(r.grades().labels())));
    }

    /** Whether an imported ranking of this source already exists for the prompt (idempotent re-import). */
    public boolean existsForPrompt(UUID promptId, String source) {
        return jdbc.sql("SELECT count(*) FROM rankings WHERE prompt_id = ? AND source = ?").params(promptId, source)
                .query(Integer.class).single() > 0;
    }

    /** The tie groups of a stored ranking (its JSON column). */
    public List<List<UUID>> parseGroups(String rankingJson) {
        return json.readValue(rankingJson, GROUPS);
    }

    public Ranking map(ResultSet rs, int row) throws SQLException {
        long duration = rs.getLong("duration_ms");
        Long durationMs = rs.wasNull() ? null : duration;
        int strength = rs.getInt("strength");
        Integer strengthOrNull = rs.wasNull() ? null : strength;
        String ratings = rs.getString("ratings");
        String labels = rs.getString("labels");
        Grades grades = new Grades(FeedbackMode.fromWire(rs.getString("feedback_mode")), strengthOrNull,
                ratings == null ? Map.of() : json.readValue(ratings, RATINGS), labels == null ? Map.of() : json.readValue(labels, LABELS));
        return new Ranking(rs.getObject("id", UUID.class), rs.getObject("event_id", UUID.class), rs.getObject("task_id", UUID.class),
                rs.getObject("assignment_id", UUID.class), rs.getObject("prompt_id", UUID.class), rs.getObject("project_id", UUID.class),
                rs.getObject("annotator_id", UUID.class), rs.getString("source"), parseGroups(rs.getString("ranking")),
                json.readValue(rs.getString("flags"), FLAGS), rs.getBoolean("none_acceptable"), rs.getString("rewrite"), durationMs,
                rs.getObject("submitted_at", OffsetDateTime.class).toInstant(), grades);
    }
}
