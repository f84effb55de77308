package dev.rlhf.feedback.imports;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.imports.ImportResult.LineError;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Gold items: prompts with a known ranking that annotators are measured by. Reads a JSONL file of
 * {@code {"prompt_id": ..., "ranking": [[response ids], ...]}} (plain or gzip) line by line; each
 * line must rank exactly the responses of a prompt of the project, each once (ties share a group).
 * A bad line is reported with its number and reason and never stops the good ones.
 */
@Service
public class GoldItemService {

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final ProjectService projects;
    private final GoldRankingRepository gold;
    private final ImportProperties limits;

    public GoldItemService(JdbcClient jdbc, JsonMapper json, ProjectService projects, GoldRankingRepository gold,
                           ImportProperties limits) {
        this.jdbc = jdbc;
        this.json = json;
        this.projects = projects;
        this.gold = gold;
        this.limits = limits;
    }

    /**
     * @param accepted      lines that set a prompt's gold ranking (a repeated prompt keeps the last one)
     * @param rejected      rejected lines with the reason, in line order (at most {@code rlhf.imports.max-reported-errors})
     * @param rejectedCount all rejected lines
     */
    public record GoldImportResult(long accepted, List<LineError> rejected, long rejectedCount) {
    }

    /** How many prompts of the project are gold items. */
    public long count(UUID projectId) {
        return jdbc.sql("SELECT count(*) FROM prompts WHERE project_id = ? AND gold_ranking IS NOT NULL")
                .param(projectId).query(Long.class).single();
    }

    /** @throws ApiException 404 for an unknown project; 413 or 400 when the file is too large or unreadable (lines before stay) */
    public GoldImportResult importGold(UUID projectId, InputStream file) {
        projects.get(projectId);
        long accepted = 0;
        long rejectedCount = 0;
        List<LineError> rejected = new ArrayList<>();
        NdjsonLineReader reader = null;
        try (InputStream in = RequestBodies.open(file, null)) {
            reader = new NdjsonLineReader(in, limits.maxLineBytes(), limits.maxBodyBytes());
            for (NdjsonLineReader.Line line = reader.next(); line != null; line = reader.next()) {
                String error = line.error() != null ? line.error() : apply(projectId, line.text());
                if (error == null) {
                    accepted++;
                } else {
                    rejectedCount++;
                    if (rejected.size() < limits.maxReportedErrors()) {
                        rejected.add(new LineError(line.number(), error));
                    }
                }
            }
        } catch (NdjsonLineReader.BodyTooLargeException e) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "The gold file exceeds " + limits.maxBodyBytes()
                    + " bytes; stopped after line " + reader.lineNumber() + " (" + accepted + " gold items set before that)");
        } catch (IOException e) {
            throw ApiException.badRequest("The gold file could not be read" + (reader == null ? "" : " after line " + reader.lineNumber())
                    + ": " + e.getMessage());
        }
        return new GoldImportResult(accepted, rejected, rejectedCount);
    }

    /** Validates one line and stores its ranking; answers why it was rejected, or null. */
    private String apply(UUID projectId, String text) {
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JacksonException e) {
            return "not valid JSON: " + e.getOriginalMessage();
        }
        if (!node.isObject()) {
            return "expected a JSON object with prompt_id and ranking";
        }
        JsonNode promptNode = node.get("prompt_id");
        if (promptNode == null || !promptNode.isString()) {
            return "prompt_id is missing (a prompt's id, as the exports write it)";
        }
        UUID promptId = uuid(promptNode.stringValue());
        if (promptId == null) {
            return "prompt_id '" + promptNode.stringValue() + "' is not a UUID";
        }
        boolean inProject = jdbc.sql("SELECT count(*) FROM prompts WHERE id = ? AND project_id = ?").params(promptId, projectId)
                .query(Long.class).single() > 0;
        if (!inProject) {
            return "prompt_id " + promptId + " is not a prompt of this project";
        }
        JsonNode rankingNode = node.get("ranking");
        if (rankingNode == null || !rankingNode.isArray() || rankingNode.isEmpty()) {
            return "ranking is missing: a list of tie groups of response ids, best first, e.g. [[\"id1\"], [\"id2\", \"id3\"]]";
        }
        Set<UUID> responses = new HashSet<>(jdbc.sql("SELECT id FROM responses WHERE prompt_id = ?").param(promptId)
                .query(UUID.class).list());
        List<List<UUID>> groups = new ArrayList<>();
        Set<UUID> seen = new HashSet<>();
        for (JsonNode groupNode : rankingNode) {
            if (!groupNode.isArray() || groupNode.isEmpty()) {
                return "ranking must be a list of non-empty lists of response ids, not " + groupNode;
            }
            List<UUID> group = new ArrayList<>();
            for (JsonNode idNode : groupNode) {
                UUID id = idNode.isString() ? uuid(idNode.stringValue()) : null;
                if (id == null) {
                    return "ranking holds " + idNode + ", which is not a response id";
                }
                if (!responses.contains(id)) {
                    return "response " + id + " is not a response of prompt " + promptId;
                }
                if (!seen.add(id)) {
                    return "response " + id + " appears more than once in the ranking";
                }
                group.add(id);
            }
            groups.add(group);
        }
        Set<UUID> missing = new LinkedHashSet<>(responses);
        missing.removeAll(seen);
        if (!missing.isEmpty()) {
            return "ranking leaves out response(s) " + missing.stream().map(UUID::toString).sorted().collect(Collectors.joining(", "))
                    + " of prompt " + promptId + " (rank every response; ties share a group)";
        }
        gold.set(promptId, groups);
        return null;
    }

    private static UUID uuid(String value) {
        try {
            return UUID.fromString(value.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
