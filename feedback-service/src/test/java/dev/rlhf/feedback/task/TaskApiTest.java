package dev.rlhf.feedback.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import tools.jackson.databind.JsonNode;

class TaskApiTest extends IntegrationTest {

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    AdjustableClock clock;

    TaskFixtures fixtures;

    @BeforeEach
    void fixtures() {
        fixtures = new TaskFixtures(admin(), prompts, taskRepository);
    }

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    @Test
    void nextLeasesATaskInAShuffledOrderAndSubmissionStoresTiesFlagsAndRewrite() {
        UUID project = fixtures.project("happy-path", 4, 2, 600);
        var conversation = new Conversation(List.of(new Turn(Turn.USER, "Tell me a story."), new Turn(Turn.ASSISTANT, "About what?"),
                new Turn(Turn.USER, "A fox.")));
        var task = fixtures.task(project, conversation, 4, 2);
        TestApi alice = api(fixtures.annotator("happy-alice", project), TaskFixtures.PASSWORD);

        var next = alice.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(next.status()).isEqualTo(200);
        JsonNode shown = next.json();
        assertThat(shown.path("taskId").asString()).isEqualTo(task.taskId().toString());
        assertThat(shown.path("projectId").asString()).isEqualTo(project.toString());
        assertThat(shown.path("guidelines").asString()).isEqualTo("Guidelines of happy-path");
        assertThat(shown.path("prompt").path("turns")).hasSize(3);
        assertThat(shown.path("prompt").path("turns").get(2).path("content").asString()).isEqualTo("A fox.");
        List<UUID> order = responseIds(shown);
        assertThat(order).containsExactlyInAnyOrderElementsOf(task.responseIds());
        assertThat(shown.path("responses").get(0).path("text").asString()).startsWith("answer ");
        assertThat(Instant.parse(shown.path("leaseExpiresAt").asString()))
                .isCloseTo(Instant.now().plusSeconds(600), within(30, ChronoUnit.SECONDS));
        assertThat(jdbc.sql("SELECT shown_order FROM assignments WHERE task_id = ?").param(task.taskId()).query(String.class).single())
                .isEqualTo(json.writeValueAsString(order));

        var again = alice.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(again.json().path("taskId").asString()).as("the held lease comes back").isEqualTo(task.taskId().toString());
        assertThat(responseIds(again.json())).isEqualTo(order);

        UUID best = order.get(0);
        var body = submission(List.of(List.of(best), List.of(order.get(1), order.get(2)), List.of(order.get(3))),
                Map.of(order.get(3).toString(), List.of("harmful", "untruthful")), "A better answer.", 8100L);
        var submitted = alice.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", body);
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(201);
        UUID rankingId = UUID.fromString(submitted.json().path("rankingId").asString());
        assertThat(submitted.json().path("eventId").asString()).isNotBlank();

        var stored = jdbc.sql("SELECT ranking, flags, rewrite, duration_ms, none_acceptable, source FROM rankings WHERE id = ?")
                .param(rankingId).query().singleRow();
        assertThat(stored.get("ranking")).isEqualTo(json.writeValueAsString(List.of(List.of(best), List.of(order.get(1), order.get(2)),
                List.of(order.get(3)))));
        assertThat(stored.get("flags")).isEqualTo(json.writeValueAsString(Map.of(order.get(3), List.of("harmful", "untruthful"))));
        assertThat(stored.get("rewrite")).isEqualTo("A better answer.");
        assertThat(((Number) stored.get("duration_ms")).longValue()).isEqualTo(8100L);
        assertThat(stored.get("source")).isEqualTo("annotator");
        assertThat(jdbc.sql("SELECT status FROM assignments WHERE task_id = ?").param(task.taskId()).query(String.class).single())
                .isEqualTo("SUBMITTED");
        assertThat(rankingsCount(task.taskId())).isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE event_id = ?").param(UUID.fromString(submitted.json().path("eventId").asString()))
                .query(Integer.class).single()).isEqualTo(1);

        assertThat(alice.get("/api/v1/tasks/next?projectId=" + project).status()).as("nobody ranks a task twice").isEqualTo(204);
        TestApi bob = api(fixtures.annotator("happy-bob", project), TaskFixtures.PASSWORD);
        var bobs = bob.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(bobs.json().path("taskId").asString()).as("the task needs a second annotator").isEqualTo(task.taskId().toString());
        assertThat(bob.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", submission(List.of(responseIds(bobs.json())), null, null, 900L))
                .status()).as("one tie group of all responses is a complete ordering").isEqualTo(201);
        assertThat(api(fixtures.annotator("happy-carol", project), TaskFixtures.PASSWORD).get("/api/v1/tasks/next?projectId=" + project).status())
                .as("complete tasks are not handed out").isEqualTo(204);
        assertThat(rankingsCount(task.taskId())).isEqualTo(2);
    }

    @Test
    void prefersTheTaskClosestToCompletionThenTheOldest() {
        UUID project = fixtures.project("preference", 2, 2, 600);
        var oldest = fixtures.task(project, "first", 2, 2);
        var newer = fixtures.task(project, "second", 2, 2);
        TestApi first = api(fixtures.annotator("pref-1", project), TaskFixtures.PASSWORD);
        TestApi second = api(fixtures.annotator("pref-2", project), TaskFixtures.PASSWORD);
        TestApi third = api(fixtures.annotator("pref-3", project), TaskFixtures.PASSWORD);

        assertThat(taskId(first.get("/api/v1/tasks/next?projectId=" + project).json())).isEqualTo(oldest.taskId());
        assertThat(first.postJson("/api/v1/tasks/" + oldest.taskId() + "/ranking", submission(List.of(List.of(oldest.responseIds().get(1)),
                List.of(oldest.responseIds().get(0))), null, null, 10L)).status()).isEqualTo(201);
        var later = fixtures.task(project, "third", 2, 2);
        assertThat(taskId(second.get("/api/v1/tasks/next?projectId=" + project).json())).as("one ranking away from done").isEqualTo(oldest.taskId());
        assertThat(taskId(third.get("/api/v1/tasks/next?projectId=" + project).json())).as("then the oldest open task").isEqualTo(newer.taskId());
        assertThat(later.taskId()).isNotEqualTo(newer.taskId());
    }

    @Test
    void rejectsRankingsThatAreNotACompleteOrderingOfTheTasksResponses() {
        UUID project = fixtures.project("validation", 3, 1, 600);
        var task = fixtures.task(project, "validate me", 3, 1);
        TestApi dave = api(fixtures.annotator("valid-dave", project), TaskFixtures.PASSWORD);
        dave.get("/api/v1/tasks/next?projectId=" + project);
        UUID r1 = task.responseIds().get(0), r2 = task.responseIds().get(1), r3 = task.responseIds().get(2);
        UUID foreign = UUID.randomUUID();
        String path = "/api/v1/tasks/" + task.taskId() + "/ranking";

        assertProblem(dave.postJson(path, submission(List.of(List.of(r1), List.of(r2)), null, null, 1L)), 400, "ranking is missing response [" + r3 + "]");
        assertProblem(dave.postJson(path, submission(List.of(List.of(r1, r2), List.of(r3, r1)), null, null, 1L)), 400,
                "ranking names response " + r1 + " more than once");
        assertProblem(dave.postJson(path, submission(List.of(List.of(r1, r2, r3, foreign)), null, null, 1L)), 400,
                "ranking names response " + foreign + ", which is not in this task");
        assertProblem(dave.postJson(path, Map.of("ranking", List.of(List.of("r1"), List.of("r2", "r3")))), 400,
                "ranking names response r1, which is not in this task");
        assertProblem(dave.postJson(path, submission(List.of(), null, null, 1L)), 400, "ranking is empty");
        assertProblem(dave.postJson(path, Map.of("durationMs", 5)), 400, "ranking is empty");
        assertProblem(dave.postJson(path, submission(List.of(List.of(r1), List.of(), List.of(r2, r3)), null, null, 1L)), 400,
                "ranking has an empty tie group");
        var complete = List.of(List.of(r1), List.of(r2, r3));
        assertProblem(dave.postJson(path, submission(complete, Map.of(r2.toString(), List.of("rude")), null, 1L)), 400,
                "unknown flag 'rude' on response " + r2 + "; known flags: harmful, off-topic, other, untruthful");
        assertProblem(dave.postJson(path, submission(complete, Map.of(foreign.toString(), List.of("harmful")), null, 1L)), 400,
                "flags name response " + foreign + ", which is not in this task");
        assertProblem(dave.postJson(path, submission(complete, null, "x".repeat(100_001), 1L)), 400,
                "rewrite has 100001 characters; at most 100000 are allowed");
        assertProblem(dave.postJson(path, submission(complete, null, null, -5L)), 400, "durationMs must be between 0 and 604800000 (7 days), not -5");
        assertProblem(dave.postJson(path, "{\"ranking\": "), 400, "Malformed request");

        assertThat(rankingsCount(task.taskId())).as("rejected submissions store nothing").isZero();
        var accepted = dave.postJson(path, submission(complete, null, "y".repeat(100_000), 1L));
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(201);
    }

    @Test
    void forbidsTasksNotAssignedToTheCallerAndRefusesASecondSubmission() {
        UUID project = fixtures.project("authorization", 2, 2, 600);
        var task = fixtures.task(project, "whose task", 2, 2);
        var ranking = submission(List.of(List.of(task.responseIds().get(0)), List.of(task.responseIds().get(1))), null, null, 1L);
        TestApi eve = api(fixtures.annotator("auth-eve", project), TaskFixtures.PASSWORD);
        TestApi frank = api(fixtures.annotator("auth-frank", project), TaskFixtures.PASSWORD);

        assertProblem(eve.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403,
                "Task " + task.taskId() + " is not assigned to you");
        assertProblem(eve.postJson("/api/v1/tasks/" + UUID.randomUUID() + "/ranking", ranking), 404, "No task");
        assertProblem(eve.get("/api/v1/tasks/next?projectId=" + UUID.randomUUID()), 404, "No project");

        frank.get("/api/v1/tasks/next?projectId=" + project);
        assertProblem(eve.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403, "is not assigned to you");
        assertThat(frank.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking).status()).isEqualTo(201);
        assertProblem(frank.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 409,
                "You already submitted a ranking for task " + task.taskId());
        assertProblem(frank.postJson("/api/v1/tasks/" + task.taskId() + "/skip", Map.of("reason", "too late")), 409, "already submitted");
        assertThat(rankingsCount(task.taskId())).isEqualTo(1);
    }

    @Test
    void anExpiredLeaseReturnsTheTaskToThePool() {
        UUID project = fixtures.project("expiry", 2, 1, 60);
        var task = fixtures.task(project, "slow annotator", 2, 1);
        var ranking = submission(List.of(List.of(task.responseIds().get(1)), List.of(task.responseIds().get(0))), null, null, 1L);
        TestApi grace = api(fixtures.annotator("expiry-grace", project), TaskFixtures.PASSWORD);
        TestApi heidi = api(fixtures.annotator("expiry-heidi", project), TaskFixtures.PASSWORD);

        assertThat(taskId(grace.get("/api/v1/tasks/next?projectId=" + project).json())).isEqualTo(task.taskId());
        assertThat(heidi.get("/api/v1/tasks/next?projectId=" + project).status()).as("the only slot is leased").isEqualTo(204);

        clock.advance(Duration.ofSeconds(61));
        var renewed = grace.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(taskId(renewed.json())).as("the same annotator may lease it again").isEqualTo(task.taskId());
        assertThat(Instant.parse(renewed.json().path("leaseExpiresAt").asString())).isAfter(Instant.now().plusSeconds(100));

        clock.advance(Duration.ofSeconds(61));
        assertThat(taskId(heidi.get("/api/v1/tasks/next?projectId=" + project).json())).as("back in the pool").isEqualTo(task.taskId());
        assertProblem(grace.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403,
                "your lease expired at");
        assertThat(heidi.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking).status()).isEqualTo(201);

        var untaken = fixtures.task(project, "nobody else wanted it", 2, 1);
        assertThat(taskId(grace.get("/api/v1/tasks/next?projectId=" + project).json())).isEqualTo(untaken.taskId());
        clock.advance(Duration.ofSeconds(120));
        assertThat(grace.postJson("/api/v1/tasks/" + untaken.taskId() + "/ranking",
                submission(List.of(untaken.responseIds()), null, null, 1L)).status())
                .as("an expired lease nobody else took may still be submitted").isEqualTo(201);
    }

    @Test
    void skipReleasesTheSlotAndTheTaskIsNeverOfferedToThatAnnotatorAgain() {
        UUID project = fixtures.project("skipping", 2, 1, 600);
        var task = fixtures.task(project, "skip me", 2, 1);
        TestApi judy = api(fixtures.annotator("skip-judy", project), TaskFixtures.PASSWORD);
        TestApi ken = api(fixtures.annotator("skip-ken", project), TaskFixtures.PASSWORD);

        assertProblem(judy.postJson("/api/v1/tasks/" + task.taskId() + "/skip", Map.of("reason", "no")), 403, "is not assigned to you");
        assertThat(taskId(judy.get("/api/v1/tasks/next?projectId=" + project).json())).isEqualTo(task.taskId());
        assertProblem(judy.postJson("/api/v1/tasks/" + task.taskId() + "/skip", Map.of("reason", "z".repeat(501))), 400, "reason has 501 characters; at most 500 are allowed");
        assertThat(judy.postJson("/api/v1/tasks/" + task.taskId() + "/skip", Map.of("reason", "not my language")).status()).isEqualTo(204);
        assertThat(jdbc.sql("SELECT status || ':' || skip_reason FROM assignments WHERE task_id = ?").param(task.taskId()).query(String.class).single())
                .isEqualTo("SKIPPED:not my language");

        assertThat(judy.get("/api/v1/tasks/next?projectId=" + project).status()).isEqualTo(204);
        assertThat(taskId(ken.get("/api/v1/tasks/next?projectId=" + project).json())).as("the slot is free again").isEqualTo(task.taskId());
        assertProblem(judy.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", submission(List.of(task.responseIds()), null, null, 1L)),
                403, "you skipped it");
    }

    private int rankingsCount(UUID taskId) {
        return jdbc.sql("SELECT rankings_count FROM tasks WHERE id = ?").param(taskId).query(Integer.class).single();
    }

    private static UUID taskId(JsonNode next) {
        return UUID.fromString(next.path("taskId").asString());
    }

    static List<UUID> responseIds(JsonNode next) {
        List<UUID> ids = new ArrayList<>();
        next.path("responses").forEach(r -> ids.add(UUID.fromString(r.path("id").asString())));
        return ids;
    }

    static Map<String, Object> submission(List<List<UUID>> ranking, Map<String, List<String>> flags, String rewrite, Long durationMs) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ranking", ranking);
        body.put("flags", flags == null ? Map.of() : flags);
        body.put("noneAcceptable", false);
        body.put("rewrite", rewrite);
        body.put("durationMs", durationMs);
        return body;
    }

    private static void assertProblem(TestApi.Reply reply, int status, String detail) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.json().path("detail").asString()).contains(detail);
    }
}
