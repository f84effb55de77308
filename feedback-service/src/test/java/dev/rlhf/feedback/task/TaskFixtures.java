package dev.rlhf.feedback.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.testing.TestApi;

/** Projects, accounts and ranking tasks for the task tests, created through the API and the repositories. */
public final class TaskFixtures {

    public static final String PASSWORD = "annotator-password";

    private final TestApi admin;
    private final PromptRepository prompts;
    private final TaskRepository tasks;

    public TaskFixtures(TestApi admin, PromptRepository prompts, TaskRepository tasks) {
        this.admin = admin;
        this.prompts = prompts;
        this.tasks = tasks;
    }

    public UUID project(String name, int responsesPerTask, int annotatorsPerTask, int leaseSeconds) {
        return project(name, responsesPerTask, annotatorsPerTask, leaseSeconds, "ranking");
    }

    /** A project in this feedback mode (its wire name: ranking, pairwise, rating, binary). */
    public UUID project(String name, int responsesPerTask, int annotatorsPerTask, int leaseSeconds, String feedbackMode) {
        var reply = admin.postJson("/api/v1/projects", Map.of("name", name, "guidelines", "Guidelines of " + name,
                "responsesPerTask", responsesPerTask, "annotatorsPerTask", annotatorsPerTask, "leaseSeconds", leaseSeconds,
                "feedbackMode", feedbackMode));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return UUID.fromString(reply.json().path("id").asString());
    }

    /** An annotator account, a member of these projects (named in the account's creation request). */
    public String annotator(String username, UUID... projects) {
        var reply = admin.postJson("/api/v1/annotators", Map.of("username", username, "password", PASSWORD, "roles", List.of("ANNOTATOR"),
                "projects", java.util.Arrays.stream(projects).map(UUID::toString).toList()));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return username;
    }

    /** A task over {@code k} fresh responses (one imported from a model, the rest sampled by a policy). */
    public CreatedTask task(UUID projectId, Conversation conversation, int k, int annotatorsNeeded) {
        UUID promptId = prompts.insertPromptIfAbsent(projectId, conversation, "api", null).id();
        List<UUID> responseIds = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            var response = i == 0
                    ? prompts.insertResponseIfAbsent(promptId, "answer " + i + " to " + conversation.contentHash(), "gpt-test", null, null)
                    : prompts.insertResponseIfAbsent(promptId, "answer " + i + " to " + conversation.contentHash(), null, "policy-v" + i, -1.5 * i);
            responseIds.add(response.id());
        }
        return new CreatedTask(tasks.createIfAbsent(projectId, promptId, responseIds, annotatorsNeeded), promptId, responseIds);
    }

    public CreatedTask task(UUID projectId, String prompt, int k, int annotatorsNeeded) {
        return task(projectId, Conversation.ofUser(prompt), k, annotatorsNeeded);
    }

    public record CreatedTask(UUID taskId, UUID promptId, List<UUID> responseIds) {
    }
}
