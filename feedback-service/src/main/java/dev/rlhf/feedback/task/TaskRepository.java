package dev.rlhf.feedback.task;

import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.databind.json.JsonMapper;

/** Ranking tasks: a prompt with the responses to rank, needing a number of distinct annotators. */
@Repository
public class TaskRepository {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public TaskRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Creates a task over exactly these responses unless one with the same response set exists
     * for the prompt (so re-imports and redelivered samples create no duplicate task).
     */
    public UUID createIfAbsent(UUID projectId, UUID promptId, List<UUID> responseIds, int annotatorsNeeded) {
        if (responseIds.size() < 2) {
            throw new IllegalArgumentException("a ranking task needs at least 2 responses, got " + responseIds.size());
        }
        String ids = json.writeValueAsString(responseIds.stream().map(UUID::toString).sorted().toList());
        var existing = jdbc.sql("SELECT id FROM tasks WHERE prompt_id = ? AND response_ids = ?")
                .params(promptId, ids).query(UUID.class).optional();
        if (existing.isPresent()) {
            return existing.get();
        }
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO tasks (id, project_id, prompt_id, response_ids, annotators_needed) VALUES (?, ?, ?, ?, ?)")
                .params(id, projectId, promptId, ids, annotatorsNeeded).update();
        return id;
    }
}
