package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Response;
import dev.rlhf.feedback.prompt.StoredResponses;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.ranking.TieGroups;
import tools.jackson.databind.JsonNode;

/** Each import format end to end through the REST API, on the real PostgreSQL. */
class ImportApiTest extends IntegrationTest {

    @Autowired
    JdbcClient jdbc;
    @Autowired
    PromptRepository prompts;
    @Autowired
    RankingRepository rankings;
    @Autowired
    TaskRepository tasks;

    private UUID newProject(int responsesPerTask, int annotatorsPerTask) {
        var created = admin().postJson("/api/v1/projects", Map.of("name", "imports-" + UUID.randomUUID(),
                "responsesPerTask", responsesPerTask, "annotatorsPerTask", annotatorsPerTask));
        assertThat(created.status()).isEqualTo(201);
        return UUID.fromString(created.json().path("id").asString());
    }

    private JsonNode importOk(UUID projectId, String format, String ndjson) {
        TestApi.Reply reply = admin().postNdjson("/api/v1/projects/" + projectId + "/items?format=" + format, ndjson);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json();
    }

    private List<UUID> promptIds(UUID projectId) {
        return jdbc.sql("SELECT id FROM prompts WHERE project_id = ? ORDER BY created_at, id").param(projectId).query(UUID.class).list();
    }

    private long count(String sql, Object... params) {
        return jdbc.sql(sql).params(params).query(Long.class).single();
    }

    private List<Ranking> rankingsOf(UUID promptId) {
        return jdbc.sql("SELECT " + RankingRepository.COLUMNS + " FROM rankings WHERE prompt_id = ? ORDER BY submitted_at, id")
                .param(promptId).query(rankings::map).list();
    }

    private Conversation conversation(UUID promptId) {
        return prompts.findPrompt(promptId).orElseThrow().conversation();
    }

    @Test
    void promptsAreStoredAndAskTheTrainerForSamplesThroughTheOutbox() {
        UUID project = newProject(5, 3);
        String body = """
                {"prompt": "Write a story about a dragon."}

                {"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi!"}]}
                """;
        JsonNode result = importOk(project, "prompts", body);
        assertThat(result.path("imported").asLong()).isEqualTo(2);
        assertThat(result.path("skipped").asLong()).isZero();
        assertThat(result.path("rejected").isEmpty()).isTrue();

        List<UUID> ids = promptIds(project);
        assertThat(ids).hasSize(2);
        assertThat(ids.stream().map(this::conversation)).containsExactlyInAnyOrder(Conversation.ofUser("Write a story about a dragon."),
                new Conversation(List.of(new Turn(Turn.SYSTEM, "Be kind."), new Turn(Turn.USER, "Hi!"))));
        assertThat(count("SELECT count(*) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.project_id = ?", project)).isZero();

        try (var avro = new AvroEventDeserializer<>(SampleRequested.class)) {
            List<SampleRequested> requests = jdbc.sql("SELECT topic, record_key, payload FROM outbox WHERE record_key IN (:keys)")
                    .param("keys", ids.stream().map(UUID::toString).toList())
                    .query((rs, n) -> {
                        assertThat(rs.getString("topic")).isEqualTo("rlhf.sample-requests.v1");
                        SampleRequested event = avro.deserialize(rs.getString("topic"), rs.getBytes("payload"));
                        assertThat(event.getPromptId()).isEqualTo(rs.getString("record_key"));
                        return event;
                    }).list();
            assertThat(requests).hasSize(2).allSatisfy(event -> {
                assertThat(event.getProjectId()).isEqualTo(project.toString());
                assertThat(event.getNumSamples()).isEqualTo(5);
                assertThat(event.getPrompt()).extracting(dev.rlhf.schemas.events.Turn::getRole).last().isEqualTo("user");
            });
        }

        JsonNode again = importOk(project, "prompts", body);
        assertThat(again.path("imported").asLong()).isZero();
        assertThat(again.path("skipped").asLong()).isEqualTo(2);
        assertThat(promptIds(project)).hasSize(2);
        assertThat(count("SELECT count(*) FROM outbox WHERE record_key IN (?, ?)", ids.get(0).toString(), ids.get(1).toString())).isEqualTo(2);
    }

    @Test
    void responsesBecomeRankingTasksOfAtMostKResponses() {
        UUID project = newProject(3, 2);
        String body = """
                {"prompt": "Name a colour.", "responses": [{"text": "red", "model": "m1"}, {"text": "green", "model": "m1"}, {"text": "blue", "model": "m2"}, {"text": "cyan", "model": "m2"}, {"text": "teal"}]}
                {"prompt": [{"role": "user", "content": "Name a fruit."}], "responses": ["apple", "pear"]}
                """;
        JsonNode result = importOk(project, "responses", body);
        assertThat(result.path("imported").asLong()).isEqualTo(2);

        UUID colours = promptIds(project).stream().filter(id -> conversation(id).equals(Conversation.ofUser("Name a colour."))).findFirst().orElseThrow();
        List<Response> responses = StoredResponses.of(jdbc, colours);
        assertThat(responses).extracting(Response::text).containsExactlyInAnyOrder("red", "green", "blue", "cyan", "teal");
        assertThat(responses).filteredOn(r -> r.text().equals("blue")).singleElement().extracting(Response::model).isEqualTo("m2");
        assertThat(responses).filteredOn(r -> r.text().equals("teal")).singleElement().extracting(Response::model).isNull();

        // 5 responses with K = 3: tasks of 3 and 2, every response in exactly one, each for 2 annotators.
        List<List<String>> taskResponses = jdbc.sql("SELECT response_ids FROM tasks WHERE prompt_id = ? AND annotators_needed = 2")
                .param(colours).query((rs, n) -> List.of(json.readValue(rs.getString(1), String[].class))).list();
        assertThat(taskResponses).extracting(List::size).containsExactlyInAnyOrder(3, 2);
        assertThat(taskResponses.stream().flatMap(List::stream).map(UUID::fromString).toList())
                .containsExactlyInAnyOrderElementsOf(responses.stream().map(Response::id).toList());
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project)).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM rankings WHERE project_id = ?", project)).isZero();

        // The tasks repository recognises the imported task, so later sampling rounds create no duplicate.
        List<UUID> pair = StoredResponses.of(jdbc, promptIds(project).stream().filter(id -> !id.equals(colours)).findFirst().orElseThrow())
                .stream().map(Response::id).toList();
        UUID fruitTask = jdbc.sql("SELECT id FROM tasks WHERE prompt_id = ?").param(StoredResponses.withIds(jdbc, pair).getFirst().promptId())
                .query(UUID.class).single();
        assertThat(tasks.createIfAbsent(project, StoredResponses.withIds(jdbc, pair).getFirst().promptId(), pair.reversed(), 2)).isEqualTo(fruitTask);

        JsonNode again = importOk(project, "responses", body);
        assertThat(again.path("imported").asLong()).isZero();
        assertThat(again.path("skipped").asLong()).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project)).isEqualTo(3);

        // A new response for a known prompt adds just that response (and its task).
        JsonNode more = importOk(project, "responses", "{\"prompt\": \"Name a fruit.\", \"responses\": [\"apple\", \"plum\"]}");
        assertThat(more.path("imported").asLong()).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM responses WHERE prompt_id = ?", StoredResponses.withIds(jdbc, pair).getFirst().promptId())).isEqualTo(3);
    }

    @Test
    void pairsBecomeAPreferenceRankingNotAnnotatorsWork() {
        UUID project = newProject(4, 3);
        String body = """
                {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}
                {"prompt": [{"role": "user", "content": "Capital of France?"}], "chosen": [{"role": "assistant", "content": "Paris"}], "rejected": [{"role": "assistant", "content": "Lyon"}]}
                """;
        assertThat(importOk(project, "pairs", body).path("imported").asLong()).isEqualTo(2);

        for (UUID promptId : promptIds(project)) {
            List<Ranking> found = rankingsOf(promptId);
            assertThat(found).singleElement().satisfies(ranking -> {
                assertThat(ranking.source()).isEqualTo("pairs");
                assertThat(ranking.annotatorId()).isNull();
                assertThat(ranking.assignmentId()).isNull();
                assertThat(ranking.taskId()).isNotNull();
                Map<UUID, String> texts = StoredResponses.of(jdbc, promptId).stream().collect(Collectors.toMap(Response::id, Response::text));
                assertThat(TieGroups.strictPairs(ranking.groups())).singleElement().satisfies(pair -> {
                    String chosen = texts.get(pair.better());
                    String rejected = texts.get(pair.worse());
                    assertThat(List.of(chosen, rejected)).isIn(List.of("4", "5"), List.of("Paris", "Lyon"));
                });
            });
        }
        // The task waits for the project's human annotators; the imported preference does not count towards them.
        assertThat(jdbc.sql("SELECT annotators_needed, rankings_count FROM tasks WHERE project_id = ?").param(project)
                .query((rs, n) -> List.of(rs.getInt(1), rs.getInt(2))).list()).containsExactly(List.of(3, 0), List.of(3, 0));

        JsonNode again = importOk(project, "pairs", body);
        assertThat(again.path("skipped").asLong()).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM rankings WHERE project_id = ?", project)).isEqualTo(2);
    }

    @Test
    void hhTranscriptsBecomeAConversationAndAPreference() {
        UUID project = newProject(4, 3);
        String prompt = "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Tell me a joke.";
        String chosen = prompt + "\n\nAssistant: Knock knock.";
        String rejected = prompt + "\n\nAssistant:  No.";
        JsonNode result = importOk(project, "hh", json.writeValueAsString(Map.of("chosen", chosen, "rejected", rejected)));
        assertThat(result.path("imported").asLong()).isEqualTo(1);

        UUID promptId = promptIds(project).getFirst();
        assertThat(conversation(promptId).turns()).extracting(Turn::role).containsExactly("user", "assistant", "user");
        Ranking ranking = rankingsOf(promptId).getFirst();
        assertThat(ranking.source()).isEqualTo("hh");
        Map<UUID, Response> responses = StoredResponses.of(jdbc, promptId).stream().collect(Collectors.toMap(Response::id, r -> r));
        Response best = responses.get(ranking.groups().get(0).getFirst());
        Response worst = responses.get(ranking.groups().get(1).getFirst());
        assertThat(best.model()).isEqualTo("hh-rlhf");
        assertThat(HhRoundTrip.transcript(conversation(promptId).turns(), best.text())).isEqualTo(chosen);
        assertThat(HhRoundTrip.transcript(conversation(promptId).turns(), worst.text())).isEqualTo(rejected);
    }

    @Test
    void badLinesAreReportedByNumberAndTheOthersImport() {
        UUID project = newProject(4, 3);
        String body = String.join("\n",
                "{\"prompt\": \"Q1\", \"chosen\": \"a\", \"rejected\": \"b\"}",
                "{\"prompt\": \"Q2\", \"chosen\": \"a\", \"rejected\": ",
                "",
                "{\"prompt\": \"Q3\", \"chosen\": \"a\"}",
                "{\"chosen\": \"a\", \"rejected\": \"b\"}",
                "{\"prompt\": \"" + "x".repeat(100_001) + "\", \"chosen\": \"a\", \"rejected\": \"b\"}",
                "{\"prompt\": \"Q7\", \"chosen\": \"a\", \"rejected\": \"b\"}") + "\n";
        JsonNode result = importOk(project, "pairs", body);

        assertThat(result.path("imported").asLong()).isEqualTo(2);
        assertThat(result.path("rejectedCount").asLong()).isEqualTo(4);
        assertThat(result.path("lines").asLong()).isEqualTo(6);
        JsonNode rejected = result.path("rejected");
        assertThat(rejected.size()).isEqualTo(4);
        assertThat(rejected.get(0).path("line").asInt()).isEqualTo(2);
        assertThat(rejected.get(0).path("error").asString()).startsWith("invalid JSON");
        assertThat(rejected.get(1).path("line").asInt()).isEqualTo(4);
        assertThat(rejected.get(1).path("error").asString()).isEqualTo("\"rejected\" is missing");
        assertThat(rejected.get(2).path("line").asInt()).isEqualTo(5);
        assertThat(rejected.get(2).path("error").asString()).isEqualTo("\"prompt\" is missing");
        assertThat(rejected.get(3).path("line").asInt()).isEqualTo(6);
        assertThat(rejected.get(3).path("error").asString()).isEqualTo("\"prompt\" exceeds 100000 characters (100001)");
        assertThat(promptIds(project).stream().map(this::conversation))
                .containsExactlyInAnyOrder(Conversation.ofUser("Q1"), Conversation.ofUser("Q7"));
    }

    @Test
    void onlyAdminsImportAndRequestErrorsAreProblemDocuments() {
        UUID project = newProject(4, 3);
        admin().postJson("/api/v1/annotators", Map.of("username", "importer-" + project, "password", "annotator-password", "roles", List.of("ANNOTATOR")));
        TestApi annotator = api("importer-" + project, "annotator-password");
        assertThat(annotator.postNdjson("/api/v1/projects/" + project + "/items?format=prompts", "{\"prompt\": \"x\"}\n").status()).isEqualTo(403);
        assertThat(promptIds(project)).isEmpty();

        var unknown = admin().postNdjson("/api/v1/projects/" + project + "/items?format=csv", "{}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("detail").asString()).isEqualTo("Unknown format 'csv': use one of prompts, responses, oasst, hh, pairs");
        assertThat(admin().postNdjson("/api/v1/projects/" + project + "/items", "{}").json().path("detail").asString())
                .startsWith("format is required");
        assertThat(admin().postNdjson("/api/v1/projects/" + UUID.randomUUID() + "/items?format=prompts", "{\"prompt\": \"x\"}").status())
                .isEqualTo(404);
        assertThat(post(project, "prompts", "{\"prompt\": \"x\"}".getBytes(StandardCharsets.UTF_8), "br").statusCode()).isEqualTo(415);
        // curl --data-binary without a Content-Type sends a form; its body would be parsed as form fields.
        var form = admin().postJson("/api/v1/projects/" + project + "/items?format=prompts", "{}");
        assertThat(form.status()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/projects/" + project + "/items?format=prompts"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\"}")))
                .statusCode()).isEqualTo(415);
    }

    @Test
    void gzipBodiesAreAccepted() throws IOException {
        UUID project = newProject(4, 3);
        HttpResponse<String> reply = post(project, "prompts", gzip("{\"prompt\": \"zipped 1\"}\n{\"prompt\": \"zipped 2\"}\n"), "gzip");
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(json.readTree(reply.body()).path("imported").asLong()).isEqualTo(2);
    }

    @Test
    void twentyThousandPromptsImportInBatches() {
        UUID project = newProject(4, 3);
        int lines = 20_000;
        String body = IntStream.range(0, lines).mapToObj(i -> "{\"prompt\": \"Write a short story about item " + i + ".\"}")
                .collect(Collectors.joining("\n"));
        long start = System.nanoTime();
        JsonNode result = importOk(project, "prompts", body);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("IMPORT THROUGHPUT prompts: %d lines in %.2f s = %.0f items/s (server-side %d ms)%n", lines, seconds,
                lines / seconds, result.path("durationMs").asLong());

        assertThat(result.path("imported").asLong()).isEqualTo(lines);
        assertThat(count("SELECT count(*) FROM prompts WHERE project_id = ?", project)).isEqualTo(lines);
        assertThat(count("SELECT count(*) FROM outbox o JOIN prompts p ON o.record_key = CAST(p.id AS VARCHAR(36)) WHERE p.project_id = ?",
                project)).isEqualTo(lines);
    }

    private HttpResponse<String> post(UUID project, String format, byte[] body, String contentEncoding) {
        return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/projects/" + project + "/items?format=" + format))
                .header("Content-Type", "application/x-ndjson").header("Content-Encoding", contentEncoding)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        String basic = Base64.getEncoder().encodeToString((ADMIN + ":" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
        try {
            return HttpClient.newHttpClient().send(request.header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
