package dev.rlhf.feedback.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.task.TaskFixtures;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;

/**
 * Bad JSON input over real HTTP against PostgreSQL: every text PostgreSQL cannot store faithfully, every
 * null element, every over-long text and every oversized body is a 400 or 413 problem document naming
 * the field, before anything reaches the database; and what is accepted is the same in the database,
 * the export and the Kafka event.
 */
class InputValidationApiTest extends IntegrationTest {

    /** JSON escapes, as a client would send them: a NUL, a lone high surrogate, a lone low surrogate. */
    private static final String NUL = "\\u0000";
    private static final String HIGH = "\\ud800";
    private static final String LOW = "\\udc00";

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;

    TaskFixtures fixtures;

    @BeforeEach
    void fixtures() {
        fixtures = new TaskFixtures(admin(), prompts, taskRepository);
    }

    @Test
    void projectNamesAndGuidelinesThatPostgresCannotStoreAreRefusedNamingTheField() {
        String name = "valid-" + UUID.randomUUID();
        assertInvalid(admin().postJson("/api/v1/projects", "{\"name\": \"a" + NUL + "b\"}"), "name", "name contains a NUL character");
        assertInvalid(admin().postJson("/api/v1/projects", "{\"name\": \"a" + HIGH + "b\"}"), "name", "name contains an unpaired UTF-16 surrogate");
        assertInvalid(admin().postJson("/api/v1/projects", "{\"name\": \"" + name + "\", \"guidelines\": \"Be kind." + NUL + "\"}"),
                "guidelines", "guidelines contains a NUL character");
        assertInvalid(admin().postJson("/api/v1/projects", "{\"name\": \"" + name + "\", \"guidelines\": \"" + LOW + "\"}"),
                "guidelines", "guidelines contains an unpaired UTF-16 surrogate (\\udc00)");
        assertInvalid(admin().postJson("/api/v1/projects", Map.of("name", "x".repeat(201))), "name", "name is required (1 to 200 characters)");
        assertInvalid(admin().postJson("/api/v1/projects", Map.of("name", name, "guidelines", "g".repeat(100_001))),
                "guidelines", "guidelines has 100001 characters; at most 100000 are allowed");
        assertThat(jdbc.sql("SELECT count(*) FROM projects WHERE name = ? OR name LIKE 'a%b'").param(name).query(Integer.class).single())
                .as("nothing stored").isZero();

        // A valid supplementary character (a surrogate pair) is fine, and unknown fields are ignored.
        var created = admin().postJson("/api/v1/projects", "{\"name\": \"" + name + "\", \"guidelines\": \"Smile \\ud83d\\ude42\", \"colour\": \"blue\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(jdbc.sql("SELECT guidelines FROM projects WHERE name = ?").param(name).query(String.class).single()).isEqualTo("Smile \uD83D\uDE42");
        String id = created.json().path("id").asString();
        assertInvalid(admin().putJson("/api/v1/projects/" + id, "{\"name\": \"" + name + "\", \"guidelines\": \"" + NUL + "\"}"),
                "guidelines", "guidelines contains a NUL character");
        // A project read back and sent again, with its id and createdAt, updates it.
        JsonNode read = admin().get("/api/v1/projects/" + id).json();
        var updated = admin().putJson("/api/v1/projects/" + id, json.writeValueAsString(read).replace("Smile", "Grin"));
        assertThat(updated.status()).as(updated.body()).isEqualTo(200);
        assertThat(updated.json().path("guidelines").asString()).isEqualTo("Grin \uD83D\uDE42");
    }

    @Test
    void tokenNamesAndAccountRolesAreCheckedBeforeTheDatabase() {
        assertInvalid(admin().postJson("/api/v1/tokens", "{\"name\": \"ci" + NUL + "\"}"), "name", "name contains a NUL character");
        assertInvalid(admin().postJson("/api/v1/tokens", "{\"name\": \"ci" + HIGH + "\"}"), "name", "name contains an unpaired UTF-16 surrogate");
        assertInvalid(admin().postJson("/api/v1/tokens", Map.of("name", "t".repeat(101))), "name", "name has 101 characters; at most 100 are allowed");
        var longest = admin().postJson("/api/v1/tokens", Map.of("name", "t".repeat(100)));
        assertThat(longest.status()).as(longest.body()).isEqualTo(201);

        assertInvalid(admin().postJson("/api/v1/annotators", "{\"username\": \"roles-null\", \"password\": \"a-password\", \"roles\": [null]}"),
                "roles[0]", "Malformed request");
        assertInvalid(admin().postJson("/api/v1/annotators", "{\"username\": \"roles-bad\", \"password\": \"a-password\", \"roles\": [\"KING\"]}"),
                "roles[0]", "Malformed request");
    }

    @Test
    void memberUsernamesTokenOwnersAndAccountProjectsAreCheckedBeforeTheDatabase() {
        UUID project = fixtures.project("validation-members-" + UUID.randomUUID(), 2, 1, 600);
        String members = "/api/v1/projects/" + project + "/members";
        assertInvalid(admin().postJson(members, "{\"usernames\": [\"x\", null]}"), "usernames[1]", "usernames[1] is null");
        assertInvalid(admin().putJson(members, "{\"usernames\": [null]}"), "usernames[0]", "usernames[0] is null");
        assertInvalid(admin().postJson(members, "{\"usernames\": [\"al" + NUL + "ice\"]}"), "usernames[0]",
                "usernames[0] contains a NUL character");
        assertInvalid(admin().postJson(members, Map.of("usernames", List.of("u".repeat(101)))), "usernames[0]",
                "usernames[0] has 101 characters; at most 100 are allowed");
        assertInvalid(admin().postJson("/api/v1/projects", "{\"name\": \"with-nul-member\", \"members\": [\"b" + NUL + "\"]}"),
                "members[0]", "members[0] contains a NUL character");
        assertInvalid(admin().get("/api/v1/tokens?annotator=al%00ice"), "annotator", "annotator contains a NUL character");
        assertInvalid(admin().postJson("/api/v1/annotators",
                        "{\"username\": \"projects-null\", \"password\": \"a-long-pass-phrase-3\", \"projects\": [null]}"),
                "projects[0]", "projects[0] is null");
    }

    @Test
    void rankingSubmissionsWithUnstorableTextsNullElementsOrNoDurationAreRefusedAndStoreNothing() {
        UUID project = fixtures.project("validation-" + UUID.randomUUID(), 3, 1, 600);
        var task = fixtures.task(project, "Pick a colour " + UUID.randomUUID(), 3, 1);
        TestApi ann = api(fixtures.annotator("valid-ann-" + Long.toHexString(System.nanoTime()), project), TaskFixtures.PASSWORD);
        assertThat(ann.get("/api/v1/tasks/next?projectId=" + project).status()).isEqualTo(200);
        String path = "/api/v1/tasks/" + task.taskId() + "/ranking";
        String r1 = task.responseIds().get(0).toString(), r2 = task.responseIds().get(1).toString(), r3 = task.responseIds().get(2).toString();
        String ranking = "\"ranking\": [[\"" + r1 + "\"], [\"" + r2 + "\", \"" + r3 + "\"]]";

        assertInvalid(ann.postJson(path, "{" + ranking + ", \"flags\": {\"" + r2 + "\": [null]}, \"durationMs\": 10}"),
                "flags." + r2 + "[0]", "flags." + r2 + "[0] is null");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"flags\": {\"" + r2 + "\": null}, \"durationMs\": 10}"), "flags." + r2, "is null");
        assertInvalid(ann.postJson(path, "{\"ranking\": [[\"" + r1 + "\", null], [\"" + r2 + "\", \"" + r3 + "\"]], \"durationMs\": 10}"),
                "ranking[0][1]", "ranking[0][1] is null");
        assertInvalid(ann.postJson(path, "{\"ranking\": [null, [\"" + r1 + "\", \"" + r2 + "\", \"" + r3 + "\"]], \"durationMs\": 10}"),
                "ranking[0]", "ranking[0] is null");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"rewrite\": \"Blue" + NUL + "\", \"durationMs\": 10}"),
                "rewrite", "rewrite contains a NUL character (\\u0000) at index 4");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"rewrite\": \"Blue" + LOW + "\", \"durationMs\": 10}"),
                "rewrite", "rewrite contains an unpaired UTF-16 surrogate (\\udc00) at index 4");
        assertInvalid(ann.postJson(path, "{" + ranking + "}"), "durationMs", "durationMs is required");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"durationMs\": null}"), "durationMs", "durationMs is required");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"durationMs\": -1}"), "durationMs", "durationMs must be between 0 and 604800000");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"durationMs\": 9000000000000}"), "durationMs",
                "durationMs must be between 0 and 604800000 (7 days), not 9000000000000");
        assertInvalid(ann.postJson(path, "{" + ranking + ", \"durationMs\": \"soon\"}"), "durationMs", "Malformed request");

        assertThat(jdbc.sql("SELECT count(*) FROM rankings WHERE task_id = ?").param(task.taskId()).query(Integer.class).single())
                .as("rejected submissions store nothing").isZero();
        var accepted = ann.postJson(path, "{" + ranking + ", \"durationMs\": 0}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(201);
    }

    @Test
    void skipReasonsAreCheckedBeforeTheDatabase() {
        UUID project = fixtures.project("skip-validation-" + UUID.randomUUID(), 2, 1, 600);
        var task = fixtures.task(project, "Skip me " + UUID.randomUUID(), 2, 1);
        TestApi ann = api(fixtures.annotator("skip-ann-" + Long.toHexString(System.nanoTime()), project), TaskFixtures.PASSWORD);
        assertThat(ann.get("/api/v1/tasks/next?projectId=" + project).status()).isEqualTo(200);
        String path = "/api/v1/tasks/" + task.taskId() + "/skip";

        assertInvalid(ann.postJson(path, "{\"reason\": \"unclear" + NUL + "\"}"), "reason", "reason contains a NUL character");
        assertInvalid(ann.postJson(path, "{\"reason\": \"unclear" + HIGH + "\"}"), "reason", "reason contains an unpaired UTF-16 surrogate");
        assertInvalid(ann.postJson(path, Map.of("reason", "r".repeat(501))), "reason", "reason has 501 characters; at most 500 are allowed");
        assertThat(jdbc.sql("SELECT status FROM assignments WHERE task_id = ?").param(task.taskId()).query(String.class).single())
                .isNotEqualTo("SKIPPED");
        assertThat(ann.postJson(path, Map.of("reason", "unclear \uD83E\uDD14")).status()).isEqualTo(204);
        assertThat(jdbc.sql("SELECT skip_reason FROM assignments WHERE task_id = ?").param(task.taskId()).query(String.class).single())
                .isEqualTo("unclear \uD83E\uDD14");
    }

    @Test
    void bodiesOverTheLimitAre413WithOrWithoutAContentLength() {
        // The probe: a 20 MB unknown field.
        String huge = "{\"name\": \"big-" + UUID.randomUUID() + "\", \"junk\": \"" + "j".repeat(20_000_000) + "\"}";
        TestApi.Reply declared = admin().postJson("/api/v1/projects", huge);
        assertProblem(declared, 413, "exceeds the limit of 1048576 bytes (rlhf.api.max-body-bytes)");
        assertThat(declared.json().path("detail").asString()).contains("(" + huge.length() + " bytes)");

        // The same without a Content-Length (chunked): counted while Jackson reads it.
        byte[] bytes = huge.getBytes(StandardCharsets.UTF_8);
        TestApi.Reply chunked = admin().post("/api/v1/projects", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)));
        assertProblem(chunked, 413, "exceeds the limit of 1048576 bytes (rlhf.api.max-body-bytes)");

        // Just over the limit, chunked, on the annotator side too.
        byte[] overLimit = ("{\"reason\": \"" + "r".repeat(1_048_576) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertProblem(admin().post("/api/v1/tasks/" + UUID.randomUUID() + "/skip", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(overLimit))), 413, "rlhf.api.max-body-bytes");
        assertThat(jdbc.sql("SELECT count(*) FROM projects WHERE name LIKE 'big-%'").query(Integer.class).single()).isZero();

        // The largest valid request still fits: guidelines of 100,000 four-byte characters, chunked.
        String emoji = "\uD83D\uDE42".repeat(50_000);
        byte[] largest = json.writeValueAsBytes(Map.of("name", "largest-" + UUID.randomUUID(), "guidelines", emoji));
        var fits = admin().post("/api/v1/projects", "application/json", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(largest)));
        assertThat(fits.status()).as(fits.body()).isEqualTo(201);
        assertThat(fits.json().path("guidelines").asString()).isEqualTo(emoji);
    }

    @Test
    void importsRejectBlankPromptsAndResponsesAndKeepTheirOwnLargerBodyLimit() {
        UUID project = fixtures.project("import-validation-" + UUID.randomUUID(), 2, 1, 600);
        String tag = UUID.randomUUID().toString();
        String ndjson = String.join("\n",
                "{\"prompt\": \"   \", \"responses\": [\"a\", \"b\"]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"\\n\"}], \"responses\": [\"a\", \"b\"]}",
                "{\"prompt\": \"Name a colour " + tag + "\", \"responses\": [\"Red\", \" \"]}",
                "{\"prompt\": \"Name a colour " + tag + "\", \"responses\": [{\"text\": \"Red\"}, {\"text\": \"\", \"model\": \"m\"}]}",
                "{\"prompt\": \"Name a colour " + tag + "\", \"responses\": [\"Red\", \"Blue" + NUL + "\"]}",
                "{\"prompt\": \"Name a colour " + tag + "\", \"responses\": [\"Red\", \"Blue\"]}");
        JsonNode result = admin().postNdjson("/api/v1/projects/" + project + "/items?format=responses", ndjson).json();
        assertThat(result.path("imported").asInt()).isEqualTo(1);
        assertThat(result.path("rejected").valueStream().map(r -> r.path("line").asInt() + ": " + r.path("error").asString()).toList())
                .containsExactly(
                        "1: \"prompt\" is blank",
                        "2: \"messages\" is blank (its last turn, the one to answer)",
                        "3: \"responses[1]\" is blank",
                        "4: \"responses[1].text\" is blank",
                        "5: \"responses[1]\" contains a NUL character (\\u0000) at index 4, which cannot be stored");

        // The import has its own cap (rlhf.imports.max-body-bytes, 1 GiB), not the 1 MiB of JSON bodies.
        String big = "\n".repeat(2 * 1024 * 1024) + "{\"prompt\": \"After many blank lines " + tag + "\"}\n";
        var imported = admin().postNdjson("/api/v1/projects/" + project + "/items?format=prompts", big);
        assertThat(imported.status()).as(imported.body()).isEqualTo(200);
        assertThat(imported.json().path("imported").asInt()).isEqualTo(1);
    }

    @Test
    void theDurationAndRewriteAreTheSameInTheDatabaseTheExportAndTheEvent() {
        UUID project = fixtures.project("same-everywhere-" + UUID.randomUUID(), 2, 1, 600);
        var task = fixtures.task(project, "Say something " + UUID.randomUUID(), 2, 1);
        String username = fixtures.annotator("same-ann-" + Long.toHexString(System.nanoTime()), project);
        TestApi ann = api(username, TaskFixtures.PASSWORD);
        assertThat(ann.get("/api/v1/tasks/next?projectId=" + project).status()).isEqualTo(200);
        String rewrite = "Hello \uD83D\uDC4B world";
        var reply = ann.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", Map.of(
                "ranking", List.of(List.of(task.responseIds().get(1)), List.of(task.responseIds().get(0))),
                "rewrite", rewrite, "durationMs", 8100));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        UUID eventId = UUID.fromString(reply.json().path("eventId").asString());

        var stored = jdbc.sql("SELECT duration_ms, rewrite FROM rankings WHERE event_id = ?").param(eventId).query().singleRow();
        assertThat(((Number) stored.get("duration_ms")).longValue()).isEqualTo(8100L);
        assertThat(stored.get("rewrite")).isEqualTo(rewrite);

        String export = admin().get("/api/v1/projects/" + project + "/export?format=rankings").body();
        List<JsonNode> lines = Arrays.stream(export.split("\n")).filter(l -> !l.isBlank()).map(json::readTree).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst().path("duration_ms").asLong()).isEqualTo(8100L);
        assertThat(lines.getFirst().path("rewrite").asString()).isEqualTo(rewrite);

        RankingSubmitted event;
        try (var reader = KafkaTopicReader.avro(kafkaBootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            event = reader.readUntil(records -> records.stream().anyMatch(r -> r.value().getEventId().equals(eventId)), Duration.ofSeconds(90))
                    .stream().map(ConsumerRecord::value).filter(v -> v.getEventId().equals(eventId)).findFirst().orElseThrow();
        }
        assertThat(event.getDurationMs()).isEqualTo(8100L);
        assertThat(event.getRewrite()).isEqualTo(rewrite);
        assertThat(event.getAnnotatorId()).isEqualTo(username);
    }

    private static void assertInvalid(TestApi.Reply reply, String field, String detail) {
        assertProblem(reply, 400, detail);
        assertThat(reply.json().path("field").asString()).as(reply.body()).isEqualTo(field);
    }

    private static void assertProblem(TestApi.Reply reply, int status, String detail) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.json().path("status").asInt()).isEqualTo(status);
        assertThat(reply.json().path("detail").asString()).as(reply.body()).contains(detail);
    }
}
