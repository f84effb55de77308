package dev.rlhf.trainer.annotate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.align.labeler.KeywordLabeler;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.cli.CapturedRun;
import dev.rlhf.trainer.testing.FeedbackApp;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Simulated annotators against the real annotation back end: the feedback service on the real
 * PostgreSQL with its in-process Kafka broker, driven only through its REST API.
 */
class SimulatedAnnotatorsTest {

    private static final String WORD = "park";
    private static final int K = 4;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path files;
    static FeedbackApp app;
    static URI url;

    @BeforeAll
    static void startApp() {
        app = FeedbackApp.start("simulated-annotators-app");
        url = app.url();
    }

    @AfterAll
    static void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    private static AnnotationAppClient admin() {
        return AnnotationAppClient.basic(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
    }

    @Test
    void fourAnnotatorsDrainAProjectRankingEveryTaskAsTheOracleDoes() throws Exception {
        UUID project = admin().createProject(new AnnotationAppClient.ProjectSettings("drain", "Prefer the park.", K, 1, null)).id();
        int prompts = 24;
        assertThat(admin().importFile(project, "responses", responsesFile("drain", prompts)).imported()).isEqualTo(prompts);

        KeywordLabeler oracle = new KeywordLabeler(WORD, 0, 7);
        var settings = SimulatedAnnotators.Settings.of(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, project, 4)
                .withAccounts("drainer", "drain-secret").withIdleTimeout(Duration.ofSeconds(3));
        try (SimulatedAnnotators annotators = new SimulatedAnnotators(settings, oracle).start()) {
            assertThat(annotators.awaitFinished(Duration.ofMinutes(3))).as("the annotators stop once the queue stays empty").isTrue();
            assertThat(annotators.errors()).isEmpty();
            assertThat(annotators.rankingsSubmitted()).isEqualTo(prompts);
            var progress = annotators.progress();
            assertThat(progress.running()).isZero();
            assertThat(progress.rankingsByAnnotator().keySet()).containsExactly("drainer-1", "drainer-2", "drainer-3", "drainer-4");
            assertThat(progress.rankingsByAnnotator().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(prompts);
        }

        List<JsonNode> rankings = export(project, "rankings");
        assertThat(rankings).hasSize(prompts);
        assertThat(rankings.stream().map(r -> r.get("prompt_id").asString()).distinct()).hasSize(prompts);
        for (JsonNode line : rankings) {
            assertThat(line.get("annotator").asString()).startsWith("drainer-");
            assertThat(line.get("duration_ms").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(tieGroups(line.get("ranking"))).as("ranking of %s", line.get("prompt").asString())
                    .isEqualTo(oracleOrder(oracle, line));
        }
    }

    @Test
    void aSecondRunReusesTheAccountsAndStopsAtItsRankingBudget() throws Exception {
        UUID project = admin().createProject(new AnnotationAppClient.ProjectSettings("budget", null, K, 1, null)).id();
        admin().importFile(project, "responses", responsesFile("budget", 10));
        var settings = SimulatedAnnotators.Settings.of(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, project, 3)
                .withAccounts("budget", "budget-secret").withMaxRankings(4);
        for (int run = 1; run <= 2; run++) {
            try (SimulatedAnnotators annotators = new SimulatedAnnotators(settings, new KeywordLabeler(WORD, 0, run)).start()) {
                assertThat(annotators.awaitFinished(Duration.ofMinutes(2))).isTrue();
                assertThat(annotators.errors()).isEmpty();
                assertThat(annotators.rankingsSubmitted()).as("run %d", run).isEqualTo(4);
            }
        }
        assertThat(export(project, "rankings")).hasSize(8);

        var otherSecret = settings.withAccounts("budget", "not-the-secret-that-made-them");
        assertThatThrownBy(() -> new SimulatedAnnotators(otherSecret, new KeywordLabeler(WORD, 0, 1)).start())
                .isInstanceOf(AnnotationAppClient.ApiError.class).hasMessageContaining("budget-1 already exists with another password");
    }

    @Test
    void commandLineSetsUpTheDemoProjectOnceAndAnnotatesIt() throws Exception {
        Path demoPrompts = Path.of("..", "docs", "demo", "story-prompts.jsonl");
        Path guidelines = Path.of("..", "docs", "demo", "story-guidelines.md");
        String[] ensure = {"ensure-project", "--url", url.toString(), "--admin-password", TestInfrastructure.ADMIN_PASSWORD,
            "--name", "Story demo", "--guidelines-file", guidelines.toString(), "--responses-per-task", "4", "--annotators-per-task", "1",
            "--import", demoPrompts.toString(), "--format", "prompts"};
        CapturedRun first = cli(ensure);
        assertThat(first.code()).as(first.err()).isZero();
        JsonNode created = jsonLine(first.out(), "projectId");
        assertThat(created.get("created").asBoolean()).isTrue();
        assertThat(created.get("imported").asLong()).isEqualTo(40);
        JsonNode again = jsonLine(cli(ensure).out(), "projectId");
        assertThat(again.get("projectId").asString()).isEqualTo(created.get("projectId").asString());
        assertThat(again.get("created").asBoolean()).isFalse();
        assertThat(again.get("imported").asLong()).isZero();
        assertThat(again.get("skipped").asLong()).isEqualTo(40);
        UUID demo = UUID.fromString(created.get("projectId").asString());
        AnnotationAppClient.Project settings = admin().project(demo);
        assertThat(settings.responsesPerTask()).isEqualTo(4);
        assertThat(settings.annotatorsPerTask()).isEqualTo(1);
        assertThat(settings.guidelines()).isEqualTo(Files.readString(guidelines));

        // Each imported prompt asks the trainer for K samples, once, however often the file is imported.
        try (var reader = KafkaTopicReader.avro(app.kafkaBootstrapServers(), Topics.SAMPLE_REQUESTS,
                new AvroEventDeserializer<>(SampleRequested.class))) {
            List<SampleRequested> requests = reader.readToEnd(Duration.ofSeconds(60)).stream().map(r -> r.value())
                    .filter(r -> r.getProjectId().equals(demo.toString())).toList();
            assertThat(requests).hasSize(40);
            assertThat(requests).allSatisfy(r -> assertThat(r.getNumSamples()).isEqualTo(4));
        }

        // No samples yet (no trainer here), so no tasks: annotators find nothing and stop after their idle timeout.
        CapturedRun idle = cli("annotate", "--url", url.toString(), "--admin-password", TestInfrastructure.ADMIN_PASSWORD, "--project-name", "Story demo",
                "--annotators", "2", "--idle-timeout", "2", "--progress-every", "1");
        assertThat(idle.code()).as(idle.err()).isZero();
        assertThat(idle.out()).contains("annotate: done: 0 rankings");

        UUID ranked = admin().createProject(new AnnotationAppClient.ProjectSettings("cli", null, K, 1, null)).id();
        admin().importFile(ranked, "responses", responsesFile("cli", 5));
        CapturedRun run = cli("annotate", "--url", url.toString(), "--admin-password", TestInfrastructure.ADMIN_PASSWORD, "--project", ranked.toString(),
                "--annotators", "2", "--max-rankings", "3", "--think-ms", "10", "--oracle-word", WORD, "--flip-rate", "0");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("annotate: done: 3 rankings");
        assertThat(export(ranked, "rankings")).hasSize(3);
    }

    @Test
    void badOptionsExitWithCodeTwoAndOneLine() {
        CapturedRun noProject = cli("annotate", "--url", url.toString(), "--admin-password", TestInfrastructure.ADMIN_PASSWORD, "--project-name", "nope");
        assertThat(noProject.code()).isEqualTo(2);
        assertThat(noProject.err().strip()).isEqualTo("trainer: --project-name: no project named 'nope' at " + url);

        CapturedRun badLogin = cli("annotate", "--url", url.toString(), "--admin-password", "wrong-password", "--project", UUID.randomUUID().toString());
        assertThat(badLogin.code()).isEqualTo(2);
        assertThat(badLogin.err().strip()).startsWith("trainer: --admin-user/--admin-password:").doesNotContain("\n");

        CapturedRun both = cli("annotate", "--admin-password", "x", "--project", UUID.randomUUID().toString(), "--project-name", "x");
        assertThat(both.code()).isEqualTo(2);
        CapturedRun flip = cli("annotate", "--admin-password", "x", "--project", UUID.randomUUID().toString(), "--flip-rate", "1.5");
        assertThat(flip.code()).isEqualTo(2);
        assertThat(flip.err().strip()).isEqualTo("trainer: --flip-rate must be in [0, 1], got 1.5");
        CapturedRun unreachable = cli("annotate", "--url", "http://localhost:" + FreePorts.next(), "--admin-password", "x", "--project-name", "x");
        assertThat(unreachable.code()).isEqualTo(2);
        assertThat(unreachable.err().strip()).startsWith("trainer: --url http://localhost:").contains("cannot reach the annotation app");
    }

    /**
     * A {@code responses} file: per prompt, K responses mentioning the word 0..3 times, with a tie
     * on every third prompt, so rankings have both strict orders and tie groups.
     */
    private static Path responsesFile(String name, int prompts) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int p = 0; p < prompts; p++) {
            List<Map<String, String>> responses = new ArrayList<>();
            for (int r = 0; r < K; r++) {
                int mentions = p % 3 == 0 && r == 1 ? (p + 2) % K : (p + r) % K;
                String text = "Response " + r + " to " + name + " " + p + ":" + (" they went to the " + WORD + ".").repeat(mentions) + " The end.";
                responses.add(Map.of("text", text, "model", "fixture"));
            }
            lines.append(JSON.writeValueAsString(Map.of("prompt", "Story " + name + " " + p + ": once upon a time", "responses", responses)))
                    .append('\n');
        }
        Path file = files.resolve(name + "-responses.jsonl");
        Files.writeString(file, lines);
        return file;
    }

    private static List<Set<String>> oracleOrder(KeywordLabeler oracle, JsonNode line) {
        List<String> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (JsonNode r : line.get("responses")) {
            ids.add(r.get("id").asString());
            texts.add(r.get("text").asString());
        }
        Ranking truth = oracle.trueRanking(line.get("prompt").asString(), texts);
        return truth.groups().stream().map(g -> IntStream.of(g).mapToObj(ids::get).collect(Collectors.toSet())).toList();
    }

    private static List<Set<String>> tieGroups(JsonNode ranking) {
        List<Set<String>> groups = new ArrayList<>();
        for (JsonNode group : ranking) {
            Set<String> ids = new HashSet<>();
            group.forEach(id -> ids.add(id.asString()));
            groups.add(ids);
        }
        return groups;
    }

    private static List<JsonNode> export(UUID project, String format) {
        var reply = new TestApi(url.toString(), TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, JSON)
                .get("/api/v1/projects/" + project + "/export?format=" + format);
        assertThat(reply.status()).isEqualTo(200);
        return reply.body().lines().filter(l -> !l.isBlank()).map(JSON::readTree).toList();
    }

    private static JsonNode jsonLine(String out, String field) {
        return out.lines().filter(l -> l.startsWith("{\"" + field + "\"")).map(JSON::readTree).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON line with " + field + " in: " + out));
    }

    private static CapturedRun cli(String... args) {
        return CapturedRun.of(args);
    }
}
