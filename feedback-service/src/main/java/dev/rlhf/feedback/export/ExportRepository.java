package dev.rlhf.feedback.export;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.ranking.Grades;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a project's rankings for export as a stream of {@link PromptGroup}s, in prompt order.
 * <p>
 * Two queries run side by side on one connection, both ordered by prompt id: the rankings passing
 * the filters (with their prompt), and the responses of exactly those prompts. Walking them together
 * assembles one prompt at a time without the database sorting a rankings x responses join. Both use
 * a JDBC fetch size: on PostgreSQL that is a server-side cursor (a named portal) when the caller runs
 * this inside a transaction (autocommit off), so rows arrive {@value #FETCH_SIZE} at a time instead
 * of the whole result at once.
 */
@Repository
public class ExportRepository {

    static final int FETCH_SIZE = 1000;
    private static final TypeReference<List<List<UUID>>> GROUPS = new TypeReference<>() { };
    private static final TypeReference<Map<String, List<String>>> FLAGS = new TypeReference<>() { };
    private static final TypeReference<List<Turn>> TURNS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Integer>> RATINGS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Boolean>> LABELS = new TypeReference<>() { };

    private final JdbcTemplate jdbc;
    private final JsonMapper json;

    public ExportRepository(JdbcTemplate jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Calls {@code sink} once per prompt that has rankings passing the SQL filters (project, time,
     * policy version present among the prompt's responses). Must run in a transaction for PostgreSQL
     * to use cursors.
     */
    void streamPromptGroups(ExportRequest request, Consumer<PromptGroup> sink) {
        StringBuilder where = new StringBuilder("r.project_id = ?");
        List<Object> params = new ArrayList<>();
        params.add(request.projectId());
        if (request.from() != null) {
            where.append(" AND r.submitted_at >= ?");
            params.add(OffsetDateTime.ofInstant(request.from(), ZoneOffset.UTC));
        }
        if (request.to() != null) {
            where.append(" AND r.submitted_at < ?");
            params.add(OffsetDateTime.ofInstant(request.to(), ZoneOffset.UTC));
        }
        if (request.policyVersion() != null) {
            // Narrows to prompts that have such a response; the exact per-ranking check is in ExportService.
            where.append(" AND EXISTS (SELECT 1 FROM responses v WHERE v.prompt_id = r.prompt_id AND v.policy_version = ?)");
            params.add(request.policyVersion());
        }
        String rankingsSql = """
                SELECT r.prompt_id, p.conversation, r.id, r.task_id, r.annotator_id, a.username, r.source, r.ranking, r.flags,
                       r.none_acceptable, r.rewrite, r.duration_ms, r.submitted_at, r.feedback_mode, r.strength, r.ratings, r.labels
                FROM rankings r JOIN prompts p ON p.id = r.prompt_id LEFT JOIN annotators a ON a.id = r.annotator_id
                WHERE %s
                ORDER BY r.prompt_id, r.submitted_at, r.id""".formatted(where);
        String responsesSql = """
                SELECT s.prompt_id, s.id, s.text, s.model, s.policy_version FROM responses s
                WHERE s.prompt_id IN (SELECT r.prompt_id FROM rankings r WHERE %s)
                ORDER BY s.prompt_id""".formatted(where);
        jdbc.execute((ConnectionCallback<Void>) con -> {
            try (PreparedStatement rankings = prepare(con, rankingsSql, params);
                 PreparedStatement responses = prepare(con, responsesSql, params);
                 ResultSet rk = rankings.executeQuery();
                 ResultSet rs = responses.executeQuery()) {
                walk(rk, rs, sink);
            }
            return null;
        });
    }

    /** Columns 14-17: the grades a ranking's groups were derived from (as {@code RankingRepository} reads them). */
    private Grades grades(ResultSet rk) throws SQLException {
        FeedbackMode mode = FeedbackMode.fromWire(rk.getString(14));
        int strength = rk.getInt(15);
        Integer strengthOrNull = rk.wasNull() ? null : strength;
        String ratings = rk.getString(16);
        String labels = rk.getString(17);
        if (mode == FeedbackMode.RANKING && strengthOrNull == null && ratings == null && labels == null) {
            return Grades.RANKING; // the common case, and every row before the modes: no JSON to parse
        }
        return new Grades(mode, strengthOrNull, ratings == null ? Map.of() : json.readValue(ratings, RATINGS),
                labels == null ? Map.of() : json.readValue(labels, LABELS));
    }

    private static PreparedStatement prepare(Connection con, String sql, List<Object> params) throws SQLException {
        PreparedStatement statement = con.prepareStatement(sql);
        statement.setFetchSize(FETCH_SIZE);
        for (int i = 0; i < params.size(); i++) {
            statement.setObject(i + 1, params.get(i));
        }
        return statement;
    }

    /**
     * Both results list the same prompts in the same order (the responses query selects exactly the
     * prompts the rankings query returns), so for each new prompt of the rankings the responses cursor
     * is at that prompt's responses; only equality is compared, never the database's UUID order.
     */
    private void walk(ResultSet rk, ResultSet rs, Consumer<PromptGroup> sink) throws SQLException {
        boolean responsesLeft = rs.next();
        PromptGroup current = null;
        while (rk.next()) {
            UUID promptId = rk.getObject(1, UUID.class);
            if (current == null || !current.promptId.equals(promptId)) {
                if (current != null) {
                    sink.accept(current);
                }
                current = new PromptGroup(promptId, new Conversation(json.readValue(rk.getString(2), TURNS)));
                while (responsesLeft && promptId.equals(rs.getObject(1, UUID.class))) {
                    UUID id = rs.getObject(2, UUID.class);
                    current.responses.put(id, new PromptGroup.ResponseRow(id, rs.getString(3), rs.getString(4), rs.getString(5)));
                    responsesLeft = rs.next();
                }
            }
            long duration = rk.getLong(12);
            Long durationMs = rk.wasNull() ? null : duration;
            current.rankings.add(new PromptGroup.RankingRow(rk.getObject(3, UUID.class), rk.getObject(4, UUID.class),
                    rk.getObject(5, UUID.class), rk.getString(6), rk.getString(7), json.readValue(rk.getString(8), GROUPS),
                    json.readValue(rk.getString(9), FLAGS), rk.getBoolean(10), rk.getString(11), durationMs,
                    rk.getObject(13, OffsetDateTime.class).toInstant(), grades(rk)));
        }
        if (current != null) {
            sink.accept(current);
        }
    }
}
