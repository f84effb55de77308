package dev.rlhf.feedback.export;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.Turn;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a project's rankings for export as a stream of {@link PromptGroup}s. One query, ordered by
 * prompt, read with a JDBC fetch size: on PostgreSQL that is a server-side cursor when the caller
 * runs it inside a transaction (autocommit off), so rows arrive in batches of {@value #FETCH_SIZE}
 * instead of the whole result at once.
 */
@Repository
public class ExportRepository {

    static final int FETCH_SIZE = 1000;
    private static final TypeReference<List<List<UUID>>> GROUPS = new TypeReference<>() { };
    private static final TypeReference<Map<String, List<String>>> FLAGS = new TypeReference<>() { };
    private static final TypeReference<List<Turn>> TURNS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public ExportRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Calls {@code sink} once per prompt that has rankings passing the SQL filters (project, time,
     * policy version present among the prompt's responses), in prompt order. Must run in a transaction
     * for PostgreSQL to use a cursor.
     */
    void streamPromptGroups(ExportRequest request, Consumer<PromptGroup> sink) {
        StringBuilder sql = new StringBuilder("""
                SELECT r.prompt_id, p.conversation, r.id AS ranking_id, r.task_id, r.annotator_id, a.username, r.source,
                       r.ranking, r.flags, r.none_acceptable, r.rewrite, r.duration_ms, r.submitted_at,
                       s.id AS response_id, s.text, s.model, s.policy_version
                FROM rankings r
                JOIN prompts p ON p.id = r.prompt_id
                LEFT JOIN annotators a ON a.id = r.annotator_id
                JOIN responses s ON s.prompt_id = r.prompt_id
                WHERE r.project_id = ?""");
        List<Object> params = new ArrayList<>();
        params.add(request.projectId());
        if (request.from() != null) {
            sql.append(" AND r.submitted_at >= ?");
            params.add(OffsetDateTime.ofInstant(request.from(), ZoneOffset.UTC));
        }
        if (request.to() != null) {
            sql.append(" AND r.submitted_at < ?");
            params.add(OffsetDateTime.ofInstant(request.to(), ZoneOffset.UTC));
        }
        if (request.policyVersion() != null) {
            // Narrows to prompts that have such a response; the exact per-ranking check is in Java.
            sql.append(" AND EXISTS (SELECT 1 FROM responses v WHERE v.prompt_id = r.prompt_id AND v.policy_version = ?)");
            params.add(request.policyVersion());
        }
        sql.append(" ORDER BY r.prompt_id, r.submitted_at, r.id");
        GroupAssembler assembler = new GroupAssembler(sink);
        jdbc.sql(sql.toString()).params(params).withFetchSize(FETCH_SIZE).query(assembler);
        assembler.finish();
    }

    /** Folds consecutive rows (prompt -> rankings -> responses) into prompt groups. */
    private final class GroupAssembler implements RowCallbackHandler {
        private final Consumer<PromptGroup> sink;
        private PromptGroup current;
        private UUID lastRanking;

        GroupAssembler(Consumer<PromptGroup> sink) {
            this.sink = sink;
        }

        @Override
        public void processRow(ResultSet rs) throws SQLException {
            UUID promptId = rs.getObject("prompt_id", UUID.class);
            if (current == null || !current.promptId.equals(promptId)) {
                finish();
                current = new PromptGroup(promptId, new Conversation(json.readValue(rs.getString("conversation"), TURNS)));
            }
            UUID rankingId = rs.getObject("ranking_id", UUID.class);
            if (!rankingId.equals(lastRanking)) {
                lastRanking = rankingId;
                long duration = rs.getLong("duration_ms");
                Long durationMs = rs.wasNull() ? null : duration;
                current.rankings.add(new PromptGroup.RankingRow(rankingId, rs.getObject("task_id", UUID.class),
                        rs.getObject("annotator_id", UUID.class), rs.getString("username"), rs.getString("source"),
                        json.readValue(rs.getString("ranking"), GROUPS), json.readValue(rs.getString("flags"), FLAGS),
                        rs.getBoolean("none_acceptable"), rs.getString("rewrite"), durationMs,
                        rs.getObject("submitted_at", OffsetDateTime.class).toInstant()));
            }
            UUID responseId = rs.getObject("response_id", UUID.class);
            if (!current.responses.containsKey(responseId)) {
                current.responses.put(responseId, new PromptGroup.ResponseRow(responseId, rs.getString("text"), rs.getString("model"),
                        rs.getString("policy_version")));
            }
        }

        void finish() {
            if (current != null) {
                sink.accept(current);
                current = null;
            }
        }
    }
}
