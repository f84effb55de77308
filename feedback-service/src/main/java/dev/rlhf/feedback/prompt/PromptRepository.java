package dev.rlhf.feedback.prompt;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prompts and responses. Inserts are idempotent by content hash: importing the same prompt or
 * response again returns the existing row instead of creating a duplicate.
 */
@Repository
public class PromptRepository {

    private static final TypeReference<List<Turn>> TURNS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public PromptRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** The result of an idempotent insert: the row's id and whether this call created it. */
    public record Upsert(UUID id, boolean created) {
    }

    public Upsert insertPromptIfAbsent(UUID projectId, Conversation conversation, String source, String sourceRef) {
        String hash = conversation.contentHash();
        Optional<UUID> existing = findPromptId(projectId, hash);
        if (existing.isPresent()) {
            return new Upsert(existing.get(), false);
        }
        UUID id = UUID.randomUUID();
        int inserted = jdbc.sql("""
                        INSERT INTO prompts (id, project_id, conversation, content_hash, source, source_ref)
                        SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM prompts WHERE project_id = ? AND content_hash = ?)""")
                .params(id, projectId, json.writeValueAsString(conversation.turns()), hash, source, sourceRef, projectId, hash)
                .update();
        return inserted == 1 ? new Upsert(id, true) : new Upsert(findPromptId(projectId, hash).orElseThrow(), false);
    }

    public Upsert insertResponseIfAbsent(UUID promptId, String text, String model, String policyVersion, Double logprobSum) {
        String hash = Conversation.contentHash(text);
        Optional<UUID> existing = findResponseId(promptId, hash);
        if (existing.isPresent()) {
            return new Upsert(existing.get(), false);
        }
        UUID id = UUID.randomUUID();
        int inserted = jdbc.sql("""
                        INSERT INTO responses (id, prompt_id, text, model, policy_version, logprob_sum, content_hash)
                        SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM responses WHERE prompt_id = ? AND content_hash = ?)""")
                .params(id, promptId, text, model, policyVersion, logprobSum, hash, promptId, hash)
                .update();
        return inserted == 1 ? new Upsert(id, true) : new Upsert(findResponseId(promptId, hash).orElseThrow(), false);
    }

    public Optional<Prompt> findPrompt(UUID id) {
        return jdbc.sql("SELECT id, project_id, conversation, source, source_ref, created_at FROM prompts WHERE id = ?")
                .param(id).query(this::mapPrompt).optional();
    }

    /** A prompt with some of its responses (in no particular order). */
    public record PromptWithResponses(Prompt prompt, List<Response> responses) {
    }

    /**
     * The prompt and those of its responses with these ids, in one round trip (what showing a task
     * and announcing its ranking need); empty when there is no such prompt.
     */
    public Optional<PromptWithResponses> findPromptWithResponses(UUID promptId, List<UUID> responseIds) {
        PromptRows rows = rows();
        jdbc.sql("SELECT " + PROMPT_WITH_RESPONSES_COLUMNS
                        + " FROM prompts p LEFT JOIN responses r ON r.prompt_id = p.id AND r.id IN (:responses) WHERE p.id = :prompt")
                .param("prompt", promptId)
                // An empty IN list is not valid SQL; a random id matches nothing.
                .param("responses", responseIds.isEmpty() ? List.of(UUID.randomUUID()) : responseIds)
                .query(rows::add);
        return rows.result();
    }

    /**
     * What {@link PromptRows} reads: the columns of a prompt {@code p} and of one of its responses
     * {@code r} (null when none joined), for queries that read a prompt along with other things.
     */
    public static final String PROMPT_WITH_RESPONSES_COLUMNS = """
            p.id, p.project_id, p.conversation, p.source, p.source_ref, p.created_at,
            r.id AS response_id, r.text, r.model, r.policy_version, r.logprob_sum""";

    /** A collector for the rows of one prompt (see {@link PromptRows}). */
    public PromptRows rows() {
        return new PromptRows();
    }

    /** Gathers a prompt and its responses from result rows of {@link #PROMPT_WITH_RESPONSES_COLUMNS}, one response per row. */
    public final class PromptRows {
        private Prompt prompt;
        private final List<Response> responses = new ArrayList<>();

        public void add(ResultSet rs) throws SQLException {
            if (prompt == null) {
                prompt = mapPrompt(rs, 0);
            }
            UUID responseId = rs.getObject("response_id", UUID.class);
            if (responseId != null) {
                double logprob = rs.getDouble("logprob_sum");
                responses.add(new Response(responseId, prompt.id(), rs.getString("text"), rs.getString("model"),
                        rs.getString("policy_version"), rs.wasNull() ? null : logprob));
            }
        }

        /** Empty when no row was added (no such prompt). */
        public Optional<PromptWithResponses> result() {
            return prompt == null ? Optional.empty() : Optional.of(new PromptWithResponses(prompt, responses));
        }
    }

    private Optional<UUID> findPromptId(UUID projectId, String hash) {
        return jdbc.sql("SELECT id FROM prompts WHERE project_id = ? AND content_hash = ?").params(projectId, hash).query(UUID.class).optional();
    }

    private Optional<UUID> findResponseId(UUID promptId, String hash) {
        return jdbc.sql("SELECT id FROM responses WHERE prompt_id = ? AND content_hash = ?").params(promptId, hash).query(UUID.class).optional();
    }

    public Conversation parseConversation(String turnsJson) {
        return new Conversation(json.readValue(turnsJson, TURNS));
    }

    private Prompt mapPrompt(ResultSet rs, int row) throws SQLException {
        return new Prompt(rs.getObject("id", UUID.class), rs.getObject("project_id", UUID.class),
                parseConversation(rs.getString("conversation")), rs.getString("source"), rs.getString("source_ref"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
