package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorRepository;
import dev.rlhf.feedback.outbox.OutboxWriter;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The app as production runs it: the real PostgreSQL (a schema of its own) and a real Kafka broker
 * (the in-process one, on free ports), with migrations, topics, health and the admin account.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.file.name=target/test-logs/annotation-app.log")
class PlatformIntegrationTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();
    static final int KAFKA_PORT = INFRASTRUCTURE.kafkaPort();
    static final String SCHEMA = INFRASTRUCTURE.schema();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    OutboxWriter outbox;
    @Autowired
    AnnotatorRepository annotators;
    @Autowired
    JdbcClient jdbc;

    final JsonMapper json = JsonMapper.builder().build();
    final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

    @Test
    void healthIsUpWithDatabaseAndKafka() throws Exception {
        // The components are shown to admins only (anonymous callers see just the status).
        String admin = "Basic " + java.util.Base64.getEncoder().encodeToString(
                (TestInfrastructure.ADMIN + ":" + TestInfrastructure.ADMIN_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        JsonNode health = json.readTree(http.send(java.net.http.HttpRequest.newBuilder(uri("/actuator/health"))
                .header("Authorization", admin).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        assertThat(health.path("status").asString()).isEqualTo("UP");
        assertThat(health.path("components").path("db").path("status").asString()).isEqualTo("UP");
        assertThat(health.path("components").path("kafka").path("status").asString()).isEqualTo("UP");
        assertThat(health.path("components").path("kafka").path("details").path("embedded").asBoolean()).isTrue();
        assertThat(json.readTree(get("/actuator/health/readiness")).path("status").asString()).isEqualTo("UP");
        assertThat(json.readTree(get("/actuator/health/liveness")).path("status").asString()).isEqualTo("UP");
    }

    @Test
    void migrationsRanOnPostgresInTheTestSchema() {
        String product = jdbc.sql("SELECT version()").query(String.class).single();
        assertThat(product).startsWith("PostgreSQL");
        Integer applied = jdbc.sql("SELECT count(*) FROM " + SCHEMA + ".flyway_schema_history WHERE success").query(Integer.class).single();
        assertThat(applied).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aClientOutsideTheAppListsThePipelineTopics() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + KAFKA_PORT);
        try (AdminClient admin = AdminClient.create(p)) {
            assertThat(admin.listTopics().names().get()).contains(
                    Topics.RANKINGS, Topics.SAMPLE_REQUESTS, Topics.SAMPLES, Topics.TRAINER_METRICS,
                    Topics.deadLetter(Topics.RANKINGS), Topics.deadLetter(Topics.SAMPLES));
            assertThat(admin.describeTopics(List.of(Topics.RANKINGS)).allTopicNames().get()
                    .get(Topics.RANKINGS).partitions()).hasSize(3);
        }
    }

    @Test
    void firstStartCreatesTheAdminAccountWithTheConfiguredPassword() {
        Annotator admin = annotators.findByUsername("admin").orElseThrow();
        assertThat(admin.roles()).contains(Annotator.Role.ADMIN);
        assertThat(PasswordEncoderFactories.createDelegatingPasswordEncoder()
                .matches(TestInfrastructure.ADMIN_PASSWORD, admin.passwordHash())).isTrue();
    }

    @Test
    void publishedRankingIsReadBackWithTheSharedDeserializer() throws Exception {
        RankingSubmitted sent = RankingSubmitted.newBuilder()
                .setEventId(UUID.randomUUID()).setProjectId("p").setPromptId("prompt-" + UUID.randomUUID())
                .setPrompt("Tell me a story.")
                .setResponses(List.of(RankedResponse.newBuilder().setId("a").setText("Once").build(),
                        RankedResponse.newBuilder().setId("b").setText("Twice").build()))
                .setRanking(List.of(List.of("b"), List.of("a")))
                .setAnnotatorId("alice").setSubmittedAt(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                .setDurationMs(1200).build();
        // The app's one path to Kafka: the outbox, published by the relay.
        outbox.append(Topics.RANKINGS, sent.getPromptId(), sent);

        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + KAFKA_PORT);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new AvroEventDeserializer<>(RankingSubmitted.class))) {
            consumer.subscribe(List.of(Topics.RANKINGS));
            RankingSubmitted received = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received == null && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key().equals(sent.getPromptId())) {
                        received = record.value();
                    }
                }
            }
            assertThat(received).isEqualTo(sent);
        }
    }

    @Test
    void uiScreensRequireLoginAndTheLoginPageIsServed() throws Exception {
        var status = http.send(java.net.http.HttpRequest.newBuilder(uri("/status")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(status.statusCode()).isEqualTo(302);
        assertThat(status.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
        var login = http.send(java.net.http.HttpRequest.newBuilder(uri("/login")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(200);
        assertThat(login.body()).contains("<html");
    }

    private String get(String path) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(uri(path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private java.net.URI uri(String path) {
        return java.net.URI.create("http://localhost:" + port + path);
    }
}
