package dev.rlhf.feedback.stats;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The known ("gold") ranking of a prompt, kept in {@code prompts.gold_ranking}, that annotators are measured by. */
@Repository
public class GoldRankingRepository {

    private static final TypeReference<List<List<UUID>>> GROUPS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public GoldRankingRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Marks the prompt as a gold item with this ranking (tie groups of response ids, best first); null unmarks it. */
    public void set(UUID promptId, List<List<UUID>> ranking) {
        jdbc.sql("UPDATE prompts SET gold_ranking = ? WHERE id = ?")
                .params(ranking == null ? null : json.writeValueAsString(ranking), promptId).update();
    }

    public Optional<List<List<UUID>>> find(UUID promptId) {
        return jdbc.sql("SELECT gold_ranking FROM prompts WHERE id = ? AND gold_ranking IS NOT NULL").param(promptId)
                .query(String.class).optional().map(this::parse);
    }

    List<List<UUID>> parse(String goldJson) {
        return goldJson == null ? null : json.readValue(goldJson, GROUPS);
    }
}
