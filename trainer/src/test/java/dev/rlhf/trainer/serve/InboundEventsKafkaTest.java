package dev.rlhf.trainer.serve;

import dev.rlhf.trainer.testing.TestBroker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.schemas.ranking.TieGroups;

/**
 * Across modules, over a real broker: a RankingSubmitted written with the shared serializer and
 * keyed by prompt id, as the feedback service's outbox relay sends it, is decoded by the trainer's consumer. A record it cannot decode
 * goes to the dead-letter topic and the consumer carries on.
 */
class InboundEventsKafkaTest {

    @TempDir
    static Path dataDir;
    static EmbeddedKafkaBroker broker;
    static String topic = "it.rankings." + UUID.randomUUID();

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestBroker.start(dataDir, List.of(new NewTopic(topic, 2, (short) 1), new NewTopic(Topics.deadLetter(topic), 1, (short) 1)));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void rankingPublishedByTheFeedbackServiceIsDecodedByTheTrainerAndBadRecordsAreDeadLettered() throws Exception {
        RankingSubmitted first = ranking("prompt-1");
        RankingSubmitted second = ranking("prompt-2");
        BlockingQueue<RankingSubmitted> received = new LinkedBlockingQueue<>();
        InboundEvents stream = new InboundEvents(broker.bootstrapServers(), "trainer-test")
                .on(topic, RankingSubmitted.class, received::add);
        Thread consumer = Thread.ofPlatform().start(stream::run);
        var producer = new KafkaProducer<String, SpecificRecord>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new AvroEventSerializer<>());
        try {
            producer.send(new ProducerRecord<>(topic, first.getPromptId(), first)).get(30, TimeUnit.SECONDS);
            sendRaw("prompt-x", "this is not avro".getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(topic, second.getPromptId(), second)).get(30, TimeUnit.SECONDS);

            List<RankingSubmitted> got = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RankingSubmitted r = received.poll(30, TimeUnit.SECONDS);
                assertThat(r).as("ranking %d arrives", i + 1).isNotNull();
                got.add(r);
            }
            assertThat(got).containsExactlyInAnyOrder(first, second);
            assertThat(TieGroups.strictPairCountOfSizes(1, 2, 1)).isEqualTo(5);

            ConsumerRecord<String, byte[]> dead = readOne(Topics.deadLetter(topic));
            assertThat(dead.key()).isEqualTo("prompt-x");
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("this is not avro");
            assertThat(new String(dead.headers().lastHeader(DeadLetters.ERROR_HEADER).value(), StandardCharsets.UTF_8))
                    .contains("single-object");
        } finally {
            stream.wakeup();
            consumer.join(20_000);
            stream.close();
            producer.close();
        }
    }

    /** Three responses in two tie groups ([a], [b, c]) and a fourth below: 1*2 + 3*1 = 5 comparisons. */
    private static RankingSubmitted ranking(String promptId) {
        return RankingSubmitted.newBuilder()
                .setEventId(UUID.randomUUID()).setProjectId("demo").setPromptId(promptId).setPrompt("Once upon a time")
                .setResponses(List.of(response("a"), response("b"), response("c"), response("d")))
                .setRanking(List.of(List.of("a"), List.of("b", "c"), List.of("d")))
                .setAnnotatorId("alice").setSubmittedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).setDurationMs(4200)
                .build();
    }

    private static RankedResponse response(String id) {
        return RankedResponse.newBuilder().setId(id).setText("text " + id).setPolicyVersion("v1").build();
    }

    private static void sendRaw(String key, byte[] value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static ConsumerRecord<String, byte[]> readOne(String fromTopic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlt-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(fromTopic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    return r;
                }
            }
        }
        throw new AssertionError("nothing on " + fromTopic);
    }
}
