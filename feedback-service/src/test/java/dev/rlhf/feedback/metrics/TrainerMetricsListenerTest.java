package dev.rlhf.feedback.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

/** Trainer metrics travel from the topic to storage and to open dashboards, once each; junk goes to the DLT. */
class TrainerMetricsListenerTest extends IntegrationTest {

    @Autowired
    TrainerMetricsService metrics;

    @Test
    void metricsFromTheTopicAreStoredAndPushedOnceAndJunkIsDeadLettered() throws Exception {
        BlockingQueue<MetricPoint> pushed = new LinkedBlockingQueue<>();
        Runnable unsubscribe = metrics.subscribe(pushed::add);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafkaBootstrapServers()),
                new StringSerializer(), new AvroEventSerializer<TrainerMetric>());
             var raw = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafkaBootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            TrainerMetric kl = metric("run-1", 1, "objective/kl", 0.0);
            producer.send(new ProducerRecord<>(Topics.TRAINER_METRICS, "run-1", kl)).get();
            raw.send(new ProducerRecord<>(Topics.TRAINER_METRICS, "run-1", "not avro".getBytes(StandardCharsets.UTF_8))).get();
            producer.send(new ProducerRecord<>(Topics.TRAINER_METRICS, "run-1", kl)).get(); // redelivery
            producer.send(new ProducerRecord<>(Topics.TRAINER_METRICS, "run-1", metric("run-1", 2, "objective/kl", 0.013))).get();

            MetricPoint first = pushed.poll(30, TimeUnit.SECONDS);
            MetricPoint second = pushed.poll(30, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(second).isNotNull();
            assertThat(List.of(first.step(), second.step())).containsExactly(1L, 2L);
            assertThat(second.value()).isEqualTo(0.013);
            assertThat(second.seriesKey()).isEqualTo("run-1 / ppo / objective/kl");
            assertThat(pushed.poll(1, TimeUnit.SECONDS)).as("the redelivered point is not pushed again").isNull();
            // History is shared with other tests of this schema (health reports, say): look at this run.
            assertThat(metrics.history()).filteredOn(p -> p.runId().equals("run-1")).extracting(MetricPoint::step).containsExactly(1L, 2L);
        } finally {
            unsubscribe.run();
        }

        try (var dlt = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dlt-check", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            dlt.subscribe(List.of(Topics.deadLetter(Topics.TRAINER_METRICS)));
            var records = new java.util.ArrayList<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                dlt.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            assertThat(records).hasSize(1);
            assertThat(new String(records.getFirst().value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
            assertThat(new String(records.getFirst().headers().lastHeader(DeadLetters.ERROR_HEADER).value(), StandardCharsets.UTF_8))
                    .contains("single-object");
        }
    }

    private static TrainerMetric metric(String run, long step, String name, double value) {
        return TrainerMetric.newBuilder().setRunId(run).setPhase("ppo").setStep(step).setName(name).setValue(value)
                .setTimestamp(Instant.parse("2026-11-23T12:00:00Z").plusSeconds(step)).build();
    }
}
