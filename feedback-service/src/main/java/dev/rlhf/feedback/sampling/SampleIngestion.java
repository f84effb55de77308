package dev.rlhf.feedback.sampling;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;

import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectRepository;
import dev.rlhf.feedback.prompt.Prompt;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.SamplesGenerated;

/**
 * Turns responses sampled by a policy into ranking tasks: the responses are stored with their
 * policy version (the response's own when it names one: a head-to-head round mixes the new version's
 * samples with the previous version's) and log-probability, and grouped into tasks of at most the project's K responses.
 * Idempotent on the event id: the processed_events row commits with the inserts, so a redelivered
 * event changes nothing.
 */
@Service
public class SampleIngestion {

    private static final Logger log = LoggerFactory.getLogger(SampleIngestion.class);

    private final JdbcClient jdbc;
    private final ProjectRepository projects;
    private final PromptRepository prompts;
    private final TaskRepository tasks;
    private final TransactionOperations tx;

    public SampleIngestion(JdbcClient jdbc, ProjectRepository projects, PromptRepository prompts, TaskRepository tasks, TransactionOperations tx) {
        this.jdbc = jdbc;
        this.projects = projects;
        this.prompts = prompts;
        this.tasks = tasks;
        this.tx = tx;
    }

    /** The tasks the event created; empty when it was processed before. Bad content throws IllegalArgumentException. */
    public List<UUID> ingest(String topic, SamplesGenerated event) {
        return tx.execute(status -> {
            boolean first = jdbc.sql("INSERT INTO processed_events (event_id, topic) SELECT ?, ? WHERE NOT EXISTS "
                            + "(SELECT 1 FROM processed_events WHERE event_id = ?)")
                    .params(event.getEventId(), topic, event.getEventId()).update() == 1;
            if (!first) {
                log.debug("Samples event {} was processed before; skipped", event.getEventId());
                return List.of();
            }
            UUID projectId = uuid(event.getProjectId(), "projectId");
            UUID promptId = uuid(event.getPromptId(), "promptId");
            Project project = projects.findById(projectId)
                    .orElseThrow(() -> new IllegalArgumentException("samples event " + event.getEventId() + ": no project " + projectId));
            Prompt prompt = prompts.findPrompt(promptId).filter(p -> p.projectId().equals(projectId))
                    .orElseThrow(() -> new IllegalArgumentException("samples event " + event.getEventId() + ": no prompt " + promptId
                            + " in project " + projectId));
            Set<UUID> responseIds = new LinkedHashSet<>();
            for (GeneratedResponse r : event.getResponses()) {
                responseIds.add(prompts.insertResponseIfAbsent(prompt.id(), r.getText(), null,
                        r.getPolicyVersion() != null ? r.getPolicyVersion() : event.getPolicyVersion(), r.getLogprobSum()).id());
            }
            List<UUID> created = new ArrayList<>();
            for (List<UUID> group : groups(List.copyOf(responseIds), project.responsesPerTask())) {
                created.add(tasks.createIfAbsent(projectId, promptId, group, project.annotatorsPerTask()));
            }
            if (created.isEmpty()) {
                log.warn("Samples event {} for prompt {} has {} distinct response(s): stored, but a ranking task needs 2",
                        event.getEventId(), promptId, responseIds.size());
            }
            return created;
        });
    }

    /** At most k per task, sizes as even as possible (9 with k = 4: 3, 3, 3), never a task of one. */
    static List<List<UUID>> groups(List<UUID> ids, int k) {
        if (ids.size() < 2) {
            return List.of();
        }
        int count = (ids.size() + k - 1) / k;
        List<List<UUID>> groups = new ArrayList<>(count);
        int start = 0;
        for (int i = 0; i < count; i++) {
            int size = ids.size() / count + (i < ids.size() % count ? 1 : 0);
            groups.add(ids.subList(start, start + size));
            start += size;
        }
        return groups;
    }

    private static UUID uuid(String value, String field) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not a UUID: " + value, e);
        }
    }
}
