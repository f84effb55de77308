package dev.rlhf.feedback.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.task.TaskFixtures;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;

class RankingDeliveryTest extends IntegrationTest {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RankingDeliveryTest.class);
    private static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(90);

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    EmbeddedKafkaBroker broker;
    @Autowired
    MeterRegistry meters;

    TaskFixtures fixtures;

    @BeforeEach
    void fixtures() {
        fixtures = new TaskFixtures(admin(), prompts, taskRepository);
    }

    @Test
    void aSubmissionArrivesOnTheRankingsTopicWithEveryField() {
        UUID project = fixtures.project("delivery", 3, 1, 600);
        var conversation = new Conversation(List.of(new Turn(Turn.SYSTEM, "Be brief."), new Turn(Turn.USER, "Name a colour.")));
        var task = fixtures.task(project, conversation, 3, 1);
        TestApi lena = api(fixtures.annotator("delivery-lena", project), TaskFixtures.PASSWORD);
        List<UUID> shown = shownIds(lena.get("/api/v1/tasks/next?projectId=" + project).json());
        var reply = lena.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", Map.of(
                "ranking", List.of(List.of(shown.get(2)), List.of(shown.get(0), shown.get(1))),
                "flags", Map.of(shown.get(1).toString(), List.of("off-topic")),
                "noneAcceptable", true, "rewrite", "Blue.", "durationMs", 8100));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        UUID eventId = UUID.fromString(reply.json().path("eventId").asString());

        ConsumerRecord<String, RankingSubmitted> record;
        try (var reader = KafkaTopicReader.avro(kafkaBootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            record = reader.readUntil(records -> records.stream().anyMatch(r -> r.value().getEventId().equals(eventId)), DELIVERY_DEADLINE)
                    .stream().filter(r -> r.value().getEventId().equals(eventId)).findFirst().orElseThrow();
        }
        assertThat(record.key()).isEqualTo(task.promptId().toString());
        assertThat(new String(record.headers().lastHeader(AvroEventSerializer.SCHEMA_HEADER).value(), StandardCharsets.UTF_8))
                .isEqualTo(RankingSubmitted.getClassSchema().toString());

        RankingSubmitted event = record.value();
        assertThat(event.getProjectId()).isEqualTo(project.toString());
        assertThat(event.getPromptId()).isEqualTo(task.promptId().toString());
        assertThat(event.getPrompt()).isEqualTo(conversation.asText());
        assertThat(event.getConversation()).extracting(t -> t.getRole() + ": " + t.getContent())
                .containsExactly("system: Be brief.", "user: Name a colour.");
        Map<String, RankedResponse> responses = event.getResponses().stream().collect(Collectors.toMap(RankedResponse::getId, Function.identity()));
        assertThat(responses.keySet()).containsExactlyInAnyOrderElementsOf(task.responseIds().stream().map(UUID::toString).toList());
        RankedResponse imported = responses.get(task.responseIds().get(0).toString());
        assertThat(imported.getModel()).isEqualTo("gpt-test");
        assertThat(imported.getPolicyVersion()).isNull();
        assertThat(imported.getText()).startsWith("answer 0 to ");
        assertThat(responses.get(task.responseIds().get(2).toString()).getPolicyVersion()).isEqualTo("policy-v2");
        assertThat(event.getRanking()).containsExactly(List.of(shown.get(2).toString()), List.of(shown.get(0).toString(), shown.get(1).toString()));
        assertThat(event.getFlags()).containsExactly(Map.entry(shown.get(1).toString(), List.of("off-topic")));
        assertThat(event.getRewrite()).isEqualTo("Blue.");
        assertThat(event.getNoneAcceptable()).isTrue();
        assertThat(event.getAnnotatorId()).isEqualTo("delivery-lena");
        assertThat(event.getDurationMs()).isEqualTo(8100L);
        Instant stored = jdbc.sql("SELECT submitted_at FROM rankings WHERE event_id = ?").param(eventId).query(OffsetDateTime.class).single().toInstant();
        assertThat(event.getSubmittedAt()).isEqualTo(stored);
        assertThat(event.getSubmittedAt()).isBetween(Instant.now().minusSeconds(60), Instant.now());
        awaitSent(Set.of(eventId));
    }

    @Test
    void rankingsSubmittedWhileTheBrokerIsDownArriveExactlyOnceAfterItRestarts() {
        int submissions = 6;
        UUID project = fixtures.project("outage", 2, 1, 600);
        for (int i = 0; i < submissions; i++) {
            fixtures.task(project, "outage prompt " + i, 2, 1);
        }
        TestApi mia = api(fixtures.annotator("outage-mia", project), TaskFixtures.PASSWORD);

        Set<UUID> eventIds = new HashSet<>();
        broker.close();
        try {
            for (int i = 0; i < submissions; i++) {
                JsonNode next = mia.get("/api/v1/tasks/next?projectId=" + project).json();
                long started = System.nanoTime();
                var reply = mia.postJson("/api/v1/tasks/" + next.path("taskId").asString() + "/ranking",
                        Map.of("ranking", List.of(shownIds(next)), "durationMs", 100));
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertThat(reply.status()).as(reply.body()).isEqualTo(201);
                assertThat(millis).as("a submission does not wait for Kafka").isLessThan(5_000);
                eventIds.add(UUID.fromString(reply.json().path("eventId").asString()));
            }
            assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE event_id IN (:ids) AND sent_at IS NULL").param("ids", eventIds)
                    .query(Integer.class).single()).as("waiting in the outbox while Kafka is down").isEqualTo(submissions);
            assertThat(meters.get("rlhf.outbox.backlog").gauge().value()).isGreaterThanOrEqualTo(submissions);
        } finally {
            broker.start();
        }
        long restarted = System.nanoTime();

        try (var reader = KafkaTopicReader.avro(kafkaBootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            reader.readUntil(records -> records.stream().map(r -> r.value().getEventId()).collect(Collectors.toSet()).containsAll(eventIds),
                    DELIVERY_DEADLINE);
            log.info("All {} rankings submitted during the outage arrived {} ms after the broker restarted", submissions,
                    (System.nanoTime() - restarted) / 1_000_000);
            Map<UUID, Long> copies = reader.readToEnd(DELIVERY_DEADLINE).stream().map(r -> r.value().getEventId())
                    .filter(eventIds::contains).collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(copies).hasSize(submissions).allSatisfy((id, count) -> assertThat(count).as("copies of " + id).isEqualTo(1L));
        }
        awaitSent(eventIds);
        assertThat(meters.get("rlhf.outbox.backlog").gauge().value()).as("nothing of this test left in the outbox").isZero();
    }

    private void awaitSent(Set<UUID> eventIds) {
        Instant deadline = Instant.now().plus(DELIVERY_DEADLINE);
        while (jdbc.sql("SELECT count(*) FROM outbox WHERE event_id IN (:ids) AND sent_at IS NOT NULL").param("ids", eventIds)
                .query(Integer.class).single() < eventIds.size()) {
            assertThat(Instant.now()).as("outbox rows marked sent").isBefore(deadline);
            pause(Duration.ofMillis(50));
        }
    }

    /** The pause between two polls of a poll-with-deadline. */
    static void pause(Duration pause) {
        java.util.concurrent.locks.LockSupport.parkNanos(pause.toNanos());
    }

    private static List<UUID> shownIds(JsonNode next) {
        List<UUID> ids = new ArrayList<>();
        next.path("responses").forEach(r -> ids.add(UUID.fromString(r.path("id").asString())));
        return ids;
    }
}
