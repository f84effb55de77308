package dev.rlhf.feedback.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.task.TaskFixtures;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

class SamplesConsumerTest extends IntegrationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;

    KafkaProducer<String, byte[]> producer;
    UUID project;
    UUID promptId;

    @BeforeEach
    void setUp() {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        project = new TaskFixtures(admin(), prompts, taskRepository).project("sampling-" + UUID.randomUUID(), 3, 2, 600);
        promptId = prompts.insertPromptIfAbsent(project, Conversation.ofUser("Write a haiku about " + UUID.randomUUID()), "prompts", null).id();
    }

    @AfterEach
    void closeProducer() {
        producer.close(Duration.ofSeconds(5));
    }

    @Test
    void sampledResponsesBecomeTasksOnceEvenWhenTheEventComesTwice() {
        SamplesGenerated first = samples(project, promptId, "ppo-step-10", 6);
        send(first);
        awaitProcessed(first.getEventId());

        assertThat(taskCount(promptId)).as("6 responses with K = 3 make 2 tasks").isEqualTo(2);
        var stored = jdbc.sql("SELECT policy_version, logprob_sum, model FROM responses WHERE prompt_id = ? ORDER BY logprob_sum DESC")
                .param(promptId).query().listOfRows();
        assertThat(stored).hasSize(6).allSatisfy(row -> {
            assertThat(row.get("policy_version")).isEqualTo("ppo-step-10");
            assertThat(row.get("model")).isNull();
        });
        assertThat(((Number) stored.getFirst().get("logprob_sum")).doubleValue()).isEqualTo(-1.0);
        assertThat(jdbc.sql("SELECT annotators_needed FROM tasks WHERE prompt_id = ?").param(promptId).query(Integer.class).list())
                .containsOnly(2);

        send(first);
        // Same key, so the same partition: once the later event is processed, the duplicate was too.
        SamplesGenerated later = samples(project, promptId, "ppo-step-20", 2);
        send(later);
        awaitProcessed(later.getEventId());
        assertThat(taskCount(promptId)).as("the duplicate created nothing; the later event one task").isEqualTo(3);
        assertThat(jdbc.sql("SELECT count(*) FROM responses WHERE prompt_id = ?").param(promptId).query(Integer.class).single()).isEqualTo(8);
    }

    @Test
    void aHeadToHeadRoundKeepsEachResponsesOwnPolicyVersionInOneTask() {
        SamplesGenerated mixed = samples(project, promptId, "v2", 3);
        mixed.getResponses().get(2).setPolicyVersion("v1"); // the previous version's sample, for a head-to-head ranking
        send(mixed);
        awaitProcessed(mixed.getEventId());

        assertThat(taskCount(promptId)).as("3 responses with K = 3: one task holding both versions").isEqualTo(1);
        assertThat(jdbc.sql("SELECT policy_version FROM responses WHERE prompt_id = ? ORDER BY logprob_sum DESC").param(promptId)
                .query(String.class).list()).containsExactly("v2", "v2", "v1");
    }

    @Test
    void undecodableAndUnprocessableRecordsGoToTheDeadLetterTopicAndConsumptionCarriesOn() {
        byte[] garbage = ("not avro " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(Topics.SAMPLES, promptId.toString(), garbage));
        SamplesGenerated unknownPrompt = samples(project, UUID.randomUUID(), "ppo-step-30", 2);
        send(unknownPrompt);
        SamplesGenerated good = samples(project, promptId, "ppo-step-31", 2);
        send(good);

        awaitProcessed(good.getEventId());
        assertThat(taskCount(promptId)).isEqualTo(1);

        try (var reader = new KafkaTopicReader<>(kafkaBootstrapServers(), Topics.deadLetter(Topics.SAMPLES), new ByteArrayDeserializer())) {
            var records = reader.readUntil(rs -> rs.stream().anyMatch(r -> java.util.Arrays.equals(r.value(), garbage))
                    && rs.stream().anyMatch(r -> new String(r.value(), StandardCharsets.ISO_8859_1).contains(unknownPrompt.getPromptId())), DEADLINE);
            var dead = records.stream().filter(r -> java.util.Arrays.equals(r.value(), garbage)).findFirst().orElseThrow();
            assertThat(dead.key()).isEqualTo(promptId.toString());
            assertThat(header(dead, DeadLetters.ERROR_HEADER)).startsWith("SerializationException: Not an Avro single-object encoded SamplesGenerated");
            assertThat(header(dead, "kafka_dlt-exception-fqcn")).isNotBlank();
            assertThat(header(dead, "kafka_dlt-original-topic")).isEqualTo(Topics.SAMPLES);
            var unprocessable = records.stream()
                    .filter(r -> new String(r.value(), StandardCharsets.ISO_8859_1).contains(unknownPrompt.getPromptId())).findFirst().orElseThrow();
            assertThat(header(unprocessable, DeadLetters.ERROR_HEADER)).contains("no prompt " + unknownPrompt.getPromptId());
        }
        assertThat(processed(unknownPrompt.getEventId())).as("rolled back with the failed inserts").isFalse();
    }

    private static String header(org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        assertThat(header).as("header " + name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static SamplesGenerated samples(UUID project, UUID prompt, String policy, int n) {
        var settings = GenerationSettings.newBuilder().setTemperature(1.0).setTopP(0.9).setMaxNewTokens(64).setSeed(7L).build();
        List<GeneratedResponse> responses = IntStream.range(0, n)
                .mapToObj(i -> GeneratedResponse.newBuilder().setText(policy + " sample " + i).setLogprobSum(-1.0 - i)
                        .setGeneration(settings).setTokenCount(10 + i).build())
                .toList();
        return SamplesGenerated.newBuilder().setEventId(UUID.randomUUID()).setProjectId(project.toString()).setPromptId(prompt.toString())
                .setPolicyVersion(policy).setResponses(responses).build();
    }

    private void send(SamplesGenerated event) {
        var record = new ProducerRecord<String, byte[]>(Topics.SAMPLES, event.getPromptId(), null);
        byte[] value = new AvroEventSerializer<SamplesGenerated>().serialize(Topics.SAMPLES, record.headers(), event);
        var withValue = new ProducerRecord<>(Topics.SAMPLES, null, event.getPromptId(), value, record.headers());
        try {
            producer.send(withValue).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private int taskCount(UUID prompt) {
        return jdbc.sql("SELECT count(*) FROM tasks WHERE prompt_id = ?").param(prompt).query(Integer.class).single();
    }

    private boolean processed(UUID eventId) {
        return jdbc.sql("SELECT count(*) FROM processed_events WHERE event_id = ?").param(eventId).query(Integer.class).single() == 1;
    }

    private void awaitProcessed(UUID eventId) {
        awaitTrue(() -> processed(eventId), "event " + eventId + " processed");
    }

    private static void awaitTrue(Supplier<Boolean> condition, String what) {
        Instant deadline = Instant.now().plus(DEADLINE);
        while (!condition.get()) {
            assertThat(Instant.now()).as(what).isBefore(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }
}
