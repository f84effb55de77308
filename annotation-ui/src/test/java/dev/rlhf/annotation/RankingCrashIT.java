package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rlhf.feedback.testing.TestPostgres;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 13: a 201 means the ranking survives a crash, and its event reaches the topic exactly once.
 * The packaged jar runs in a child JVM (with its in-process broker) on H2 (the zero-install default)
 * and on the real PostgreSQL; {@value #CLIENTS} clients submit rankings through the REST API with API
 * tokens, and the app is killed with SIGKILL mid-stream. After a restart on the same data, every
 * acknowledged ranking must be in the {@code rankings} export and every stored ranking's event on
 * {@code rlhf.rankings.v1} exactly once (no event for a ranking the database does not have).
 * <p>
 * {@code -Drlhf.crash.h2-env='NAME=value|NAME=value'} adds environment variables to the H2 app, e.g.
 * the URL without {@code WRITE_DELAY=0} and {@code RLHF_DATABASE_SYNC_COMMITS=false} to watch the test
 * catch the old behaviour.
 */
class RankingCrashIT {

    static final int CLIENTS = 10;
    static final int TASKS = 2_000;
    /** Acknowledged rankings before the kill. */
    static final int KILL_AFTER = 300;
    static final Duration START_LIMIT = Duration.ofSeconds(90);
    static final String ADMIN_PASSWORD = "crash-test-secret-7315";

    @TempDir
    Path workDir;

    final JsonMapper json = JsonMapper.builder().build();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    PackagedApp packaged;
    int httpPort;
    int kafkaPort;

    record Ack(UUID rankingId, UUID eventId, long atNanos) {
    }

    @BeforeEach
    void ports() {
        packaged = new PackagedApp(workDir);
        httpPort = packaged.httpPort;
        kafkaPort = packaged.kafkaPort;
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        packaged.close();
    }

    @Test
    void onH2NoAcknowledgedRankingIsLostAndEveryEventIsOnTheTopicOnce() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : System.getProperty("rlhf.crash.h2-env", "").split("\\|")) {
            if (!kv.isBlank()) {
                env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        crashAndCheck("H2", env);
        assertThat(Files.exists(workDir.resolve("data/db/rlhf.mv.db"))).isTrue();
    }

    @Test
    void onPostgresNoAcknowledgedRankingIsLostAndEveryEventIsOnTheTopicOnce() throws Exception {
        String schema = TestPostgres.newSchema();
        crashAndCheck("PostgreSQL", Map.of("SPRING_DATASOURCE_URL", TestPostgres.url(schema),
                "SPRING_DATASOURCE_USERNAME", TestPostgres.USER, "SPRING_FLYWAY_SCHEMAS", schema));
    }

    private void crashAndCheck(String database, Map<String, String> env) throws Exception {
        Process app = start(env);
        awaitHealthUp(app);
        String projectId = createProjectWithTasks();
        List<String> tokens = annotatorTokens(projectId);

        // Clients submit until the app dies under them.
        var acks = new ConcurrentLinkedQueue<Ack>();
        var unexpected = new ConcurrentLinkedQueue<String>();
        var stop = new AtomicBoolean();
        var errors = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (String token : tokens) {
            clients.add(Thread.ofPlatform().name("crash-client").start(() -> submitUntilStopped(token, projectId, acks, unexpected, stop, errors)));
        }
        long startedAt = System.nanoTime();
        while (acks.size() < KILL_AFTER && System.nanoTime() - startedAt < Duration.ofSeconds(60).toNanos()) {
            Thread.sleep(20);
        }
        assertThat(acks.size()).as("rankings acknowledged before the kill; unexpected answers: %s", unexpected).isGreaterThanOrEqualTo(KILL_AFTER);
        app.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no graceful stop of the broker
        long killedAt = System.nanoTime();
        assertThat(app.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(app.exitValue()).as("killed by SIGKILL").isEqualTo(137);
        stop.set(true);
        for (Thread c : clients) {
            c.join(Duration.ofSeconds(20));
        }
        assertThat(unexpected).as("answers other than 200/201/204 before the kill").isEmpty();
        double rate = acks.size() / ((killedAt - startedAt) / 1e9);

        Process again = start(env);
        awaitHealthUp(again);
        Set<UUID> stored = storedRankingIds(projectId);
        Map<UUID, Integer> onTopic = eventIdsOnTopic(projectId, stored.size());

        Map<UUID, Ack> acknowledged = new HashMap<>();
        acks.forEach(a -> acknowledged.put(a.rankingId(), a));
        List<String> lost = acknowledged.values().stream().filter(a -> !stored.contains(a.rankingId()))
                .map(a -> a.rankingId() + " (acknowledged " + (killedAt - a.atNanos()) / 1_000_000 + " ms before the kill)").sorted().toList();
        Set<UUID> duplicated = onTopic.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toSet());
        Set<UUID> missingEvents = acknowledged.values().stream().map(Ack::eventId).filter(id -> !onTopic.containsKey(id)).collect(Collectors.toSet());
        String summary = String.format("%s crash: %d clients, %d acknowledged (%.0f/s) before SIGKILL, %d stored after restart, "
                        + "%d acknowledged lost, %d events on %s (%d distinct, %d twice or more), %d acknowledged without an event",
                database, CLIENTS, acknowledged.size(), rate, stored.size(), lost.size(),
                onTopic.values().stream().mapToInt(Integer::intValue).sum(), Topics.RANKINGS, onTopic.size(), duplicated.size(), missingEvents.size());
        System.out.println(summary);

        assertThat(lost).as(summary).isEmpty();
        assertThat(duplicated).as(summary).isEmpty();
        assertThat(missingEvents).as(summary).isEmpty();
        assertThat(onTopic.size()).as("one event per stored ranking, none for a ranking the database lost: " + summary).isEqualTo(stored.size());
        stopWithSigterm(again);
    }

    private void submitUntilStopped(String token, String projectId, ConcurrentLinkedQueue<Ack> acks, ConcurrentLinkedQueue<String> unexpected,
                                    AtomicBoolean stop, AtomicInteger errors) {
        while (!stop.get()) {
            try {
                var next = http.send(bearer(token, "/api/v1/tasks/next?projectId=" + projectId).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (next.statusCode() == 204) {
                    return;
                }
                if (next.statusCode() != 200) {
                    unexpected.add("next " + next.statusCode() + " " + next.body());
                    return;
                }
                JsonNode task = json.readTree(next.body());
                List<List<String>> ranking = new ArrayList<>();
                task.path("responses").forEach(r -> ranking.add(List.of(r.path("id").asString())));
                String body = json.writeValueAsString(Map.of("ranking", ranking, "durationMs", 100));
                var submit = http.send(bearer(token, "/api/v1/tasks/" + task.path("taskId").asString() + "/ranking")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long at = System.nanoTime();
                if (submit.statusCode() == 201) {
                    JsonNode reply = json.readTree(submit.body());
                    acks.add(new Ack(UUID.fromString(reply.path("rankingId").asString()), UUID.fromString(reply.path("eventId").asString()), at));
                } else {
                    unexpected.add("submit " + submit.statusCode() + " " + submit.body());
                    return;
                }
            } catch (IOException dead) {
                // The app was killed: the request in flight was never acknowledged.
                errors.incrementAndGet();
                return;
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String createProjectWithTasks() throws Exception {
        var project = admin("/api/v1/projects").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("name", "crash " + UUID.randomUUID(),
                        "guidelines", "Rank.", "responsesPerTask", 2, "annotatorsPerTask", 1, "leaseSeconds", 600))));
        var created = http.send(project.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String projectId = json.readTree(created.body()).path("id").asString();
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < TASKS; i++) {
            ndjson.append("{\"prompt\": \"Crash prompt ").append(i).append("\", \"responses\": [\"first ").append(i)
                    .append("\", \"second ").append(i).append("\"]}\n");
        }
        var imported = http.send(admin("/api/v1/projects/" + projectId + "/items?format=responses").header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        assertThat(json.readTree(imported.body()).path("imported").asInt()).isEqualTo(TASKS);
        return projectId;
    }

    /** The annotators' API tokens; each account is created as a member of the project (annotators rank only in their projects). */
    private List<String> annotatorTokens(String projectId) throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            String username = "crash-" + i;
            var account = http.send(admin("/api/v1/annotators").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("username", username, "password", "crash-annotator-secret",
                            "roles", List.of("ANNOTATOR"), "projects", List.of(projectId))))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(account.statusCode()).as(account.body()).isEqualTo(201);
            var token = http.send(basic(username, "crash-annotator-secret", "/api/v1/tokens").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"crash\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).as(token.body()).isEqualTo(201);
            tokens.add(json.readTree(token.body()).path("token").asString());
        }
        return tokens;
    }

    private Set<UUID> storedRankingIds(String projectId) throws Exception {
        var export = http.send(admin("/api/v1/projects/" + projectId + "/export?format=rankings").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(export.statusCode()).as(export.body()).isEqualTo(200);
        Set<UUID> ids = new HashSet<>();
        export.body().lines().filter(l -> !l.isBlank()).map(json::readTree)
                .filter(line -> line.path("source").asString().equals("annotator"))
                .forEach(line -> ids.add(UUID.fromString(line.path("ranking_id").asString())));
        return ids;
    }

    /** Every RankingSubmitted of the project on the topic, read from the beginning, with how often each eventId appears. */
    private Map<UUID, Integer> eventIdsOnTopic(String projectId, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<UUID, Integer> counts = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new AvroEventDeserializer<>(RankingSubmitted.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RANKINGS).stream()
                    .map(info -> new TopicPartition(Topics.RANKINGS, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Until the relay has caught up after the restart and then nothing more arrives for 3 s.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(500));
                records.forEach(r -> {
                    if (r.value().getProjectId().equals(projectId)) {
                        counts.merge(r.value().getEventId(), 1, Integer::sum);
                    }
                });
                if (!records.isEmpty()) {
                    quietSince = System.nanoTime();
                } else if (counts.size() >= expected && System.nanoTime() - quietSince > Duration.ofSeconds(3).toNanos()) {
                    break;
                }
            }
        }
        return counts;
    }

    private HttpRequest.Builder bearer(String token, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
    }

    private HttpRequest.Builder admin(String path) {
        return basic("admin", ADMIN_PASSWORD, path);
    }

    private HttpRequest.Builder basic(String user, String password, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private Process start(Map<String, String> extraEnv) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RLHF_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.putAll(extraEnv);
        return packaged.start(env);
    }

    private void awaitHealthUp(Process app) throws Exception {
        packaged.awaitHealth(app, "/actuator/health/readiness", body -> true, START_LIMIT);
    }

    private void stopWithSigterm(Process app) throws InterruptedException {
        packaged.stopWithSigterm(app);
    }

    private String output(String name) {
        return packaged.output(name);
    }
}
