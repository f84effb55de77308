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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.feedback.testing.TestPostgres;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 13, "one instance per database" no more: two packaged apps (child JVMs) on one PostgreSQL
 * schema and one Kafka broker (started here, as a cluster would be: neither app starts its own), with
 * {@value #CLIENTS} API clients, half on each, ranking one project to the end. Midway instance A is
 * killed with SIGKILL; its clients carry on against B (as a load balancer would send them), whose relay
 * takes A's slots over. Every acknowledged ranking must be stored, every stored ranking's event be on
 * {@code rlhf.rankings.v1} exactly once, each prompt's events in the order their outbox rows were
 * written, and each relay must have published half the slots while both ran.
 */
class MultiInstanceIT {

    static final int CLIENTS = 32;
    static final int PROMPTS = 1_000;
    static final int ANNOTATORS_PER_TASK = 2;
    static final int EXPECTED = PROMPTS * ANNOTATORS_PER_TASK;
    /** Acknowledged rankings before instance A is killed. */
    static final int KILL_AFTER = 600;
    /** A start takes 20 s on an idle machine, a minute on a busy shared one. */
    static final Duration START_LIMIT = Duration.ofSeconds(240);
    static final String ADMIN_PASSWORD = "two-instances-secret-7391";
    /** Meets the password policy (12+ characters, not containing the username, not a common one). */
    static final String ANNOTATOR_PASSWORD = "two-instances-annotator-5822";
    static final Pattern OWNS = Pattern.compile("Outbox relay owns slots \\[([0-9, ]*)] of 16 \\((\\d+) relay\\(s\\)");

    @TempDir
    Path workDir;

    final JsonMapper json = JsonMapper.builder().build();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final List<AutoCloseable> toClose = new ArrayList<>();

    record Ack(UUID rankingId, UUID eventId) {
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void twoInstancesOnOneDatabaseAndBrokerPublishEveryRankingOnceInKeyOrder() throws Exception {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(Files.createDirectories(workDir.resolve("kafka")), FreePorts.next(),
                FreePorts.next()).start();
        toClose.add(broker);
        String schema = TestPostgres.newSchema();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RLHF_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.put("SPRING_DATASOURCE_URL", TestPostgres.url(schema));
        env.put("SPRING_DATASOURCE_USERNAME", TestPostgres.USER);
        env.put("SPRING_FLYWAY_SCHEMAS", schema);
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());

        PackagedApp a = packaged("a");
        PackagedApp b = packaged("b");
        Process appA = a.start(env);
        a.awaitHealth(appA, "/actuator/health/readiness", body -> true, START_LIMIT);
        Process appB = b.start(env);
        // While B starts: the project, its tasks and the accounts, on A.
        String projectId = createProjectWithTasks(a);
        for (int i = 0; i < CLIENTS; i++) {
            createAnnotator(a, "multi-" + i, projectId);
        }
        b.awaitHealth(appB, "/actuator/health/readiness", body -> true, START_LIMIT);
        // A hands half its slots to B within a poll (asserted at the end, from both logs).
        awaitLog(a, "(2 relay(s)", Duration.ofSeconds(30));
        // Tokens made on the instance each client starts on: both read the one database.
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            tokens.add(token(i % 2 == 0 ? a : b, "multi-" + i));
        }

        var acks = new ConcurrentLinkedQueue<Ack>();
        var unexpected = new ConcurrentLinkedQueue<String>();
        var aUp = new AtomicBoolean(true);
        var failovers = new AtomicInteger();
        var unacknowledgedStored = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        long startedAt = System.nanoTime();
        for (int i = 0; i < CLIENTS; i++) {
            boolean homeA = i % 2 == 0;
            String token = tokens.get(i);
            clients.add(Thread.ofPlatform().name("multi-client-" + i).start(() -> rankUntilDone(token, projectId,
                    () -> homeA && aUp.get() ? a : b, b, acks, unexpected, failovers, unacknowledgedStored)));
        }
        while (acks.size() < KILL_AFTER && System.nanoTime() - startedAt < Duration.ofSeconds(120).toNanos()) {
            Thread.sleep(20);
        }
        assertThat(acks.size()).as("acknowledged before the kill; unexpected: %s", unexpected).isGreaterThanOrEqualTo(KILL_AFTER);
        aUp.set(false);
        appA.destroyForcibly(); // SIGKILL: its relay may have sent a batch it never marked
        assertThat(appA.waitFor(10, TimeUnit.SECONDS)).isTrue();
        int ackedAtKill = acks.size();
        for (Thread c : clients) {
            c.join(Duration.ofMinutes(5));
            assertThat(c.isAlive()).as("client finished").isFalse();
        }
        double seconds = (System.nanoTime() - startedAt) / 1e9;
        assertThat(unexpected).as("answers other than 200/201/204 (and 409 for a submission retried after the kill)").isEmpty();

        // The database: every task ranked by two annotators; every acknowledged ranking there.
        Map<UUID, UUID> storedEventByRanking = new HashMap<>();
        List<Map.Entry<String, UUID>> outboxOrder = new ArrayList<>();
        try (Connection db = DriverManager.getConnection(TestPostgres.url(schema), TestPostgres.USER, "")) {
            try (PreparedStatement s = db.prepareStatement("SELECT id, event_id FROM rankings WHERE project_id = ?")) {
                s.setObject(1, UUID.fromString(projectId));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        storedEventByRanking.put(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class));
                    }
                }
            }
            try (PreparedStatement s = db.prepareStatement("SELECT record_key, event_id FROM outbox WHERE topic = ? ORDER BY id")) {
                s.setString(1, Topics.RANKINGS);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        outboxOrder.add(Map.entry(rs.getString(1), rs.getObject(2, UUID.class)));
                    }
                }
            }
        }
        Set<UUID> storedEvents = Set.copyOf(storedEventByRanking.values());
        List<UUID> lost = acks.stream().filter(ack -> !storedEventByRanking.containsKey(ack.rankingId())).map(Ack::rankingId).toList();

        // The topic, read to its end once every stored event has arrived and nothing more comes for 3 s.
        Map<String, List<UUID>> onTopicByKey = readRankings(broker.bootstrapServers(), projectId, storedEvents.size());
        Map<UUID, Long> counts = onTopicByKey.values().stream().flatMap(List::stream)
                .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
        Set<UUID> twice = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toSet());
        Set<UUID> missing = storedEvents.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toSet());
        Set<UUID> unknown = counts.keySet().stream().filter(id -> !storedEvents.contains(id)).collect(Collectors.toSet());
        Map<String, List<UUID>> writtenByKey = new LinkedHashMap<>();
        outboxOrder.stream().filter(e -> storedEvents.contains(e.getValue()))
                .forEach(e -> writtenByKey.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        long keysOutOfOrder = writtenByKey.entrySet().stream()
                .filter(e -> !e.getValue().equals(onTopicByKey.getOrDefault(e.getKey(), List.of()).stream().distinct().toList())).count();

        int maxSlotsA = maxSlotsSharing(a.output("out"));
        int maxSlotsB = maxSlotsSharing(b.output("out"));
        String takeovers = alreadyOnKafka(a.output("out")) + " by A, " + alreadyOnKafka(b.output("out")) + " by B";
        String summary = String.format("two instances: %d clients, %d rankings in %.0f s (%.0f/s); A killed after %d acknowledged; "
                        + "%d client failovers, %d submissions stored but unacknowledged (409 on retry); %d acknowledged, %d stored, %d lost; "
                        + "%d events on %s (%d distinct, %d twice or more, %d stored without an event, %d without a stored ranking); "
                        + "%d prompts, %d out of order; most slots owned while sharing: A %d, B %d; events found sent but unmarked (so not sent again): %s",
                CLIENTS, storedEventByRanking.size(), seconds, storedEventByRanking.size() / seconds, ackedAtKill,
                failovers.get(), unacknowledgedStored.get(), acks.size(), storedEventByRanking.size(), lost.size(),
                counts.values().stream().mapToLong(Long::longValue).sum(), Topics.RANKINGS, counts.size(), twice.size(), missing.size(),
                unknown.size(), writtenByKey.size(), keysOutOfOrder, maxSlotsA, maxSlotsB, takeovers);
        System.out.println(summary);

        assertThat(storedEventByRanking).as(summary).hasSize(EXPECTED);
        assertThat(lost).as(summary).isEmpty();
        assertThat(twice).as(summary).isEmpty();
        assertThat(missing).as(summary).isEmpty();
        assertThat(unknown).as(summary).isEmpty();
        assertThat(keysOutOfOrder).as(summary).isZero();
        assertThat(writtenByKey).as(summary).hasSize(PROMPTS);
        assertThat(maxSlotsA).as("A's relay published half the slots: " + summary).isEqualTo(8);
        assertThat(maxSlotsB).as("B's relay published half the slots: " + summary).isEqualTo(8);
        assertThat(b.output("out")).as("B took A's slots when A was killed").contains("Outbox relay owns slots [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]");
        b.stopWithSigterm(appB);
    }

    private PackagedApp packaged(String name) throws IOException {
        PackagedApp app = new PackagedApp(Files.createDirectories(workDir.resolve(name)));
        toClose.add(app);
        return app;
    }

    /** Next task, rank it, submit; on a dead instance, the same request again on the other one. Until 204. */
    private void rankUntilDone(String token, String projectId, java.util.function.Supplier<PackagedApp> instance, PackagedApp fallback,
                               ConcurrentLinkedQueue<Ack> acks, ConcurrentLinkedQueue<String> unexpected, AtomicInteger failovers,
                               AtomicInteger unacknowledgedStored) {
        try {
            while (true) {
                var next = send(instance.get(), fallback, failovers, bearer(token, "/api/v1/tasks/next?projectId=" + projectId).GET());
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
                var submit = send(instance.get(), fallback, failovers, bearer(token, "/api/v1/tasks/" + task.path("taskId").asString() + "/ranking")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
                if (submit.statusCode() == 201) {
                    JsonNode reply = json.readTree(submit.body());
                    acks.add(new Ack(UUID.fromString(reply.path("rankingId").asString()), UUID.fromString(reply.path("eventId").asString())));
                } else if (submit.statusCode() == 409 && submit.request().headers().firstValue("X-Retried").isPresent()) {
                    unacknowledgedStored.incrementAndGet(); // committed on the killed instance before its answer went out
                } else {
                    unexpected.add("submit " + submit.statusCode() + " " + submit.body());
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            unexpected.add("client gave up: " + e);
        }
    }

    /** The request on {@code first}; if that instance is gone (connection refused or reset), once more on {@code fallback}, marked as a retry. */
    private HttpResponse<String> send(PackagedApp first, PackagedApp fallback, AtomicInteger failovers, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        try {
            return http.send(request.uri(URI.create("http://localhost:" + first.httpPort + request.build().uri().getPath()
                    + query(request))).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException dead) {
            if (first == fallback) {
                throw dead;
            }
            failovers.incrementAndGet();
            return http.send(request.uri(URI.create("http://localhost:" + fallback.httpPort + request.build().uri().getPath() + query(request)))
                    .header("X-Retried", "true").build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static String query(HttpRequest.Builder request) {
        String q = request.build().uri().getRawQuery();
        return q == null ? "" : "?" + q;
    }

    /** Every RankingSubmitted of the project on the topic, per key (prompt id) in partition order. */
    private Map<String, List<UUID>> readRankings(String bootstrapServers, String projectId, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<UUID>> byKey = new LinkedHashMap<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new AvroEventDeserializer<>(RankingSubmitted.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RANKINGS).stream()
                    .map(info -> new TopicPartition(Topics.RANKINGS, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            long quietSince = System.nanoTime();
            int seen = 0;
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(500));
                for (var r : records) {
                    if (r.value().getProjectId().equals(projectId)) {
                        byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getEventId());
                        seen++;
                    }
                }
                if (!records.isEmpty()) {
                    quietSince = System.nanoTime();
                } else if (seen >= expected && System.nanoTime() - quietSince > Duration.ofSeconds(3).toNanos()) {
                    break;
                }
            }
        }
        return byKey;
    }

    /** Events the instance's relay found on the topic before sending them (sent by a relay that died before marking them). */
    private static int alreadyOnKafka(String log) {
        int n = 0;
        Matcher m = Pattern.compile("(\\d+) outbox event\\(s\\) were already on Kafka").matcher(log);
        while (m.find()) {
            n += Integer.parseInt(m.group(1));
        }
        return n;
    }

    /** The most slots the instance's relay owned while two relays shared the database (from its log). */
    private static int maxSlotsSharing(String log) {
        int max = 0;
        Matcher m = OWNS.matcher(log);
        while (m.find()) {
            if (m.group(2).equals("2")) {
                max = Math.max(max, m.group(1).isBlank() ? 0 : m.group(1).split(",").length);
            }
        }
        return max;
    }

    private void awaitLog(PackagedApp app, String text, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!app.output("out").contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    private String createProjectWithTasks(PackagedApp app) throws Exception {
        var created = http.send(admin(app, "/api/v1/projects").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("name", "multi " + UUID.randomUUID(),
                        "guidelines", "Rank.", "responsesPerTask", 2, "annotatorsPerTask", ANNOTATORS_PER_TASK, "leaseSeconds", 600))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String projectId = json.readTree(created.body()).path("id").asString();
        StringBuilder ndjson = new StringBuilder();
        for (int i = 0; i < PROMPTS; i++) {
            ndjson.append("{\"prompt\": \"Multi prompt ").append(i).append("\", \"responses\": [\"first ").append(i)
                    .append("\", \"second ").append(i).append("\"]}\n");
        }
        var imported = http.send(admin(app, "/api/v1/projects/" + projectId + "/items?format=responses").header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        assertThat(json.readTree(imported.body()).path("imported").asInt()).isEqualTo(PROMPTS);
        return projectId;
    }

    private void createAnnotator(PackagedApp app, String username, String projectId) throws Exception {
        var account = http.send(admin(app, "/api/v1/annotators").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("username", username, "password", ANNOTATOR_PASSWORD,
                        "roles", List.of("ANNOTATOR"), "projects", List.of(projectId))))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(account.statusCode()).as(account.body()).isEqualTo(201);
    }

    private String token(PackagedApp app, String username) throws Exception {
        var token = http.send(basic(app, username, ANNOTATOR_PASSWORD, "/api/v1/tokens").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"multi\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(201);
        return json.readTree(token.body()).path("token").asString();
    }

    private HttpRequest.Builder bearer(String token, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://localhost" + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
    }

    private HttpRequest.Builder admin(PackagedApp app, String path) {
        return basic(app, "admin", ADMIN_PASSWORD, path);
    }

    private HttpRequest.Builder basic(PackagedApp app, String user, String password, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + app.httpPort + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
}
