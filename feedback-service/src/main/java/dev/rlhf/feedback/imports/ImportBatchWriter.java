package dev.rlhf.feedback.imports;

import java.nio.charset.StandardCharsets;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionStatus;

import dev.rlhf.feedback.imports.ImportItem.ImportedResponse;
import dev.rlhf.feedback.outbox.OutboxWriter;
import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.schemas.events.SampleRequested;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a batch of parsed lines in the caller's transaction with one bulk insert per table
 * ({@code COPY} on PostgreSQL, multi-row INSERTs on H2), which is what makes imports fast.
 *
 * <p>Idempotent by content, with the same hashes and JSON layouts as {@code PromptRepository},
 * {@code TaskRepository} and {@code RankingRepository}, so imported rows and rows those write find
 * each other: a prompt by its conversation hash within the project, a response by its text hash
 * within the prompt, a task by its sorted response ids, and an imported ranking by an event id
 * derived from its source, prompt and tie groups.
 *
 * <p>New prompts are inserted optimistically in one go; only when one of them already exists (a
 * re-import) does the batch go back to a savepoint and look its prompts up one by one, by the full
 * unique key. (A set-based lookup by hash is no shortcut: without fresh planner statistics,
 * PostgreSQL scans all of the project's prompts for it.) Rows under a prompt created in this batch
 * cannot exist yet and are inserted without lookups.
 *
 * <p>Concurrent imports into one project take turns per batch (a row lock in {@code import_locks}),
 * since tasks have no unique key to race on. Imported rankings are stored, not published to Kafka:
 * the trainer reads bulk data from exports. Prompts imported without responses get a
 * {@code SampleRequested} outbox record instead.
 */
@Component
class ImportBatchWriter {

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final OutboxWriter outbox;
    private final String sampleRequestsTopic;
    private final BulkInsert bulk;

    ImportBatchWriter(JdbcClient jdbc, JsonMapper json, OutboxWriter outbox, RlhfProperties properties, BulkInsert bulk) {
        this.jdbc = jdbc;
        this.bulk = bulk;
        this.json = json;
        this.outbox = outbox;
        this.sampleRequestsTopic = properties.topics().sampleRequests();
    }

    /** The items of one input line. */
    record Line(long number, List<ImportItem> items) {
    }

    /** Items that added rows, and items that were all there already. */
    record Counts(long imported, long skipped) {
    }

    private record TaskKey(UUID promptId, String responseIds) {
    }

    /** Makes sure the project's import lock row exists (outside the batch transactions). */
    void ensureLockRow(UUID projectId) {
        jdbc.sql("INSERT INTO import_locks (project_id) SELECT :project WHERE NOT EXISTS (SELECT 1 FROM import_locks WHERE project_id = :project)")
                .param("project", projectId).update();
    }

    Counts write(TransactionStatus transaction, Project project, ImportFormat format, List<Line> lines) {
        UUID projectId = project.id();
        jdbc.sql("SELECT project_id FROM import_locks WHERE project_id = ? FOR UPDATE").param(projectId).query(UUID.class).optional();
        List<ImportItem> items = lines.stream().flatMap(line -> line.items().stream()).toList();
        boolean[] changed = new boolean[items.size()];

        // Prompts
        Map<String, ImportItem> byHash = new LinkedHashMap<>();
        List<String> itemHashes = new ArrayList<>(items.size());
        for (ImportItem item : items) {
            String hash = item.prompt().contentHash();
            itemHashes.add(hash);
            byHash.putIfAbsent(hash, item);
        }
        Map<String, UUID> existingPrompts = new HashMap<>();
        Map<String, UUID> promptIds = insertPrompts(transaction, projectId, format, byHash, existingPrompts);
        Set<UUID> newPrompts = new HashSet<>();
        List<UUID> itemPromptIds = new ArrayList<>(items.size());
        List<Integer> needingSamples = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            UUID promptId = promptIds.get(itemHashes.get(i));
            if (promptId == null) {
                promptId = existingPrompts.get(itemHashes.get(i));
            } else if (newPrompts.add(promptId)) {
                changed[i] = true;
                if (items.get(i).requestSamples()) {
                    needingSamples.add(i);
                }
            }
            itemPromptIds.add(promptId);
        }

        // Responses: look up only those of prompts that existed before this batch
        Map<UUID, Map<String, UUID>> responseIds = new HashMap<>();
        List<Object[]> newResponses = new ArrayList<>();
        List<List<UUID>> itemResponseIds = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            UUID promptId = itemPromptIds.get(i);
            if (items.get(i).responses().isEmpty()) {
                itemResponseIds.add(List.of());
                continue;
            }
            Map<String, UUID> known = responseIds.computeIfAbsent(promptId,
                    id -> newPrompts.contains(id) ? new HashMap<>() : existingResponses(id));
            List<UUID> ids = new ArrayList<>();
            for (ImportedResponse response : items.get(i).responses()) {
                String hash = Conversation.contentHash(response.text());
                UUID id = known.get(hash);
                if (id == null) {
                    id = UUID.randomUUID();
                    known.put(hash, id);
                    newResponses.add(new Object[] {id, promptId, response.text(), new SqlParameterValue(Types.VARCHAR, response.model()), hash});
                    changed[i] = true;
                }
                ids.add(id);
            }
            itemResponseIds.add(ids);
        }
        insertRows("responses", "id, prompt_id, text, model, content_hash", newResponses);

        // Tasks: the responses in chunks of at most K
        Set<UUID> oldPromptsWithResponses = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            if (itemResponseIds.get(i).size() >= 2 && !newPrompts.contains(itemPromptIds.get(i))) {
                oldPromptsWithResponses.add(itemPromptIds.get(i));
            }
        }
        Map<TaskKey, UUID> taskIds = existingTasks(oldPromptsWithResponses);
        List<UUID> itemSingleTask = new ArrayList<>(items.size());
        List<Object[]> newTasks = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<UUID> ids = itemResponseIds.get(i);
            UUID singleTask = null;
            if (ids.size() >= 2) {
                List<List<UUID>> chunks = TaskSplits.split(ids, project.responsesPerTask());
                for (List<UUID> chunk : chunks) {
                    TaskKey key = new TaskKey(itemPromptIds.get(i), taskResponseIds(chunk));
                    UUID id = taskIds.get(key);
                    if (id == null) {
                        id = UUID.randomUUID();
                        taskIds.put(key, id);
                        newTasks.add(new Object[] {id, projectId, key.promptId(), key.responseIds(), project.annotatorsPerTask()});
                        changed[i] = true;
                    }
                    singleTask = chunks.size() == 1 ? id : null;
                }
            }
            itemSingleTask.add(singleTask);
        }
        insertRows("tasks", "id, project_id, prompt_id, response_ids, annotators_needed", newTasks);

        // Imported rankings (OASST consensus, HH and pairs preferences)
        Map<UUID, Integer> rankingItem = new LinkedHashMap<>();
        Map<UUID, String> rankingGroups = new HashMap<>();
        List<UUID> eventsOfOldPrompts = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<List<Integer>> ranking = items.get(i).ranking();
            if (ranking == null) {
                continue;
            }
            List<UUID> ids = itemResponseIds.get(i);
            String groups = json.writeValueAsString(ranking.stream().map(group -> group.stream().map(ids::get).toList()).toList());
            UUID eventId = UUID.nameUUIDFromBytes(("import|" + format.id() + "|" + itemPromptIds.get(i) + "|" + groups)
                    .getBytes(StandardCharsets.UTF_8));
            if (rankingItem.putIfAbsent(eventId, i) == null) {
                rankingGroups.put(eventId, groups);
                if (!newPrompts.contains(itemPromptIds.get(i))) {
                    eventsOfOldPrompts.add(eventId);
                }
            }
        }
        Set<UUID> existingEvents = existingRankingEvents(eventsOfOldPrompts);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<Object[]> newRankings = new ArrayList<>();
        rankingItem.forEach((eventId, i) -> {
            if (!existingEvents.contains(eventId)) {
                newRankings.add(new Object[] {UUID.randomUUID(), eventId, itemSingleTask.get(i), itemPromptIds.get(i), projectId, format.id(),
                        rankingGroups.get(eventId), "{}", now});
                changed[i] = true;
            }
        });
        insertRows("rankings", "id, event_id, task_id, prompt_id, project_id, source, ranking, flags, submitted_at", newRankings);

        // New prompts without responses: ask the trainer for samples, in this same transaction
        List<OutboxWriter.Entry> sampleRequests = new ArrayList<>(needingSamples.size());
        for (int i : needingSamples) {
            String promptId = itemPromptIds.get(i).toString();
            // The all-arguments constructor: the builder's per-field validation and copies cost more than the insert.
            sampleRequests.add(new OutboxWriter.Entry(sampleRequestsTopic, promptId, new SampleRequested(UUID.randomUUID(),
                    projectId.toString(), promptId, items.get(i).prompt().turns().stream().map(ImportBatchWriter::avroTurn).toList(),
                    project.responsesPerTask(), null)));
        }
        outbox.appendAll(sampleRequests);

        long imported = 0;
        for (boolean c : changed) {
            imported += c ? 1 : 0;
        }
        return new Counts(imported, items.size() - imported);
    }

    /**
     * Inserts the batch's prompts and returns the ids of those it created, by hash; puts the ids of
     * those that existed into {@code existing}. Tries all at once; if one exists already, returns to
     * a savepoint and inserts only those not found by key.
     */
    private Map<String, UUID> insertPrompts(TransactionStatus transaction, UUID projectId, ImportFormat format, Map<String, ImportItem> byHash,
                                            Map<String, UUID> existing) {
        Map<String, UUID> created = new HashMap<>();
        List<Object[]> rows = new ArrayList<>(byHash.size());
        byHash.forEach((hash, item) -> {
            UUID id = UUID.randomUUID();
            created.put(hash, id);
            rows.add(promptRow(id, projectId, format, hash, item));
        });
        Object savepoint = transaction.createSavepoint();
        try {
            insertRows("prompts", "id, project_id, conversation, content_hash, source, source_ref", rows);
            transaction.releaseSavepoint(savepoint);
            return created;
        } catch (DuplicateKeyException someExist) {
            transaction.rollbackToSavepoint(savepoint);
        }
        rows.clear();
        for (Map.Entry<String, ImportItem> entry : byHash.entrySet()) {
            UUID found = findPromptId(projectId, entry.getKey());
            if (found == null) {
                rows.add(promptRow(created.get(entry.getKey()), projectId, format, entry.getKey(), entry.getValue()));
            } else {
                created.remove(entry.getKey());
                existing.put(entry.getKey(), found);
            }
        }
        insertRows("prompts", "id, project_id, conversation, content_hash, source, source_ref", rows);
        return created;
    }

    private Object[] promptRow(UUID id, UUID projectId, ImportFormat format, String hash, ImportItem item) {
        return new Object[] {id, projectId, json.writeValueAsString(item.prompt().turns()), hash, format.id(),
                new SqlParameterValue(Types.VARCHAR, item.sourceRef())};
    }

    private UUID findPromptId(UUID projectId, String hash) {
        return jdbc.sql("SELECT id FROM prompts WHERE project_id = ? AND content_hash = ?").params(projectId, hash)
                .query(UUID.class).optional().orElse(null);
    }

    private Map<String, UUID> existingResponses(UUID promptId) {
        Map<String, UUID> found = new HashMap<>();
        jdbc.sql("SELECT content_hash, id FROM responses WHERE prompt_id = ?").param(promptId).query(rs -> {
            found.put(rs.getString(1), rs.getObject(2, UUID.class));
        });
        return found;
    }

    private Map<TaskKey, UUID> existingTasks(Collection<UUID> promptIds) {
        Map<TaskKey, UUID> found = new HashMap<>();
        List<UUID> all = List.copyOf(promptIds);
        for (int start = 0; start < all.size(); start += 1000) {
            jdbc.sql("SELECT prompt_id, response_ids, id FROM tasks WHERE prompt_id IN (:prompts)")
                    .param("prompts", all.subList(start, Math.min(all.size(), start + 1000))).query(rs -> {
                        found.putIfAbsent(new TaskKey(rs.getObject(1, UUID.class), rs.getString(2)), rs.getObject(3, UUID.class));
                    });
        }
        return found;
    }

    /** By the single-column unique event_id, which the planner estimates well even without statistics. */
    private Set<UUID> existingRankingEvents(List<UUID> eventIds) {
        Set<UUID> found = new HashSet<>();
        for (int start = 0; start < eventIds.size(); start += 1000) {
            found.addAll(jdbc.sql("SELECT event_id FROM rankings WHERE event_id IN (:events)")
                    .param("events", eventIds.subList(start, Math.min(eventIds.size(), start + 1000))).query(UUID.class).list());
        }
        return found;
    }

    /** The layout TaskRepository stores and matches: a JSON array of the ids as sorted strings. */
    private String taskResponseIds(List<UUID> ids) {
        return json.writeValueAsString(ids.stream().map(UUID::toString).sorted().toList());
    }

    private static dev.rlhf.schemas.events.Turn avroTurn(Turn turn) {
        return new dev.rlhf.schemas.events.Turn(turn.role(), turn.content());
    }

    /** COPY on PostgreSQL, multi-row INSERTs on H2 ({@link BulkInsert}). */
    private void insertRows(String table, String columns, List<Object[]> rows) {
        bulk.insert(table, columns, rows);
    }
}
