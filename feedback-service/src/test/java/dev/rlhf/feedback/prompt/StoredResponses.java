package dev.rlhf.feedback.prompt;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

/** Reads stored responses back, for tests that check what an import wrote. */
public final class StoredResponses {
    private static final String COLUMNS = "id, prompt_id, text, model, policy_version, logprob_sum";

    private StoredResponses() {
    }

    /** Every response of the prompt, oldest first. */
    public static List<Response> of(JdbcClient jdbc, UUID promptId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM responses WHERE prompt_id = ? ORDER BY created_at, id")
                .param(promptId).query(StoredResponses::map).list();
    }

    /** The responses with these ids, in no particular order. */
    public static List<Response> withIds(JdbcClient jdbc, List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT " + COLUMNS + " FROM responses WHERE id IN (:ids)")
                .param("ids", ids).query(StoredResponses::map).list();
    }

    private static Response map(ResultSet rs, int row) throws SQLException {
        double logprob = rs.getDouble("logprob_sum");
        return new Response(rs.getObject("id", UUID.class), rs.getObject("prompt_id", UUID.class), rs.getString("text"),
                rs.getString("model"), rs.getString("policy_version"), rs.wasNull() ? null : logprob);
    }
}
