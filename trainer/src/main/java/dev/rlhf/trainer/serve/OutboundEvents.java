package dev.rlhf.trainer.serve;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.trainer.training.MetricsSink;

/**
 * What the trainer service publishes: {@code SamplesGenerated} (sent synchronously, idempotent
 * producer with acks=all: the loop records a round as done only after its samples are on the topic)
 * and {@code TrainerMetric} (sent asynchronously: a lost metric point harms nobody, a stalled
 * training step would).
 */
public final class OutboundEvents implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundEvents.class);

    private final KafkaProducer<String, SpecificRecord> producer;
    private final String samplesTopic;
    private final String metricsTopic;

    public OutboundEvents(String bootstrapServers, String samplesTopic, String metricsTopic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new AvroEventSerializer<>());
        this.samplesTopic = samplesTopic;
        this.metricsTopic = metricsTopic;
    }

    /** Publishes the samples of one prompt and waits for the broker's acknowledgement. */
    public void samples(SamplesGenerated event) {
        try {
            producer.send(new ProducerRecord<>(samplesTopic, event.getPromptId(), event)).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing samples", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot publish samples of prompt " + event.getPromptId() + " to " + samplesTopic
                    + ": " + e.getMessage(), e);
        }
    }

    /** A sink that publishes every metric value of a run as a {@code TrainerMetric}. */
    public MetricsSink metrics(String runId) {
        return (phase, step, values) -> {
            long now = Instant.now().toEpochMilli();
            for (Map.Entry<String, Double> v : values.entrySet()) {
                if (v.getValue() == null || !Double.isFinite(v.getValue())) {
                    continue;
                }
                TrainerMetric metric = TrainerMetric.newBuilder().setRunId(runId).setPhase(phase).setStep(step)
                        .setName(v.getKey()).setValue(v.getValue()).setTimestamp(Instant.ofEpochMilli(now)).build();
                producer.send(new ProducerRecord<>(metricsTopic, runId, metric), (meta, error) -> {
                    if (error != null) {
                        log.debug("Metric {} of {} not published: {}", v.getKey(), runId, error.getMessage());
                    }
                });
            }
        };
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
