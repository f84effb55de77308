package dev.rlhf.feedback.metrics;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.stereotype.Component;

import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

/**
 * Consumes {@code rlhf.trainer-metrics.v1} into {@link TrainerMetricsService}. Values arrive as
 * bytes and are decoded here, so an undecodable record is sent to the dead-letter topic with an
 * error header and consumption carries on.
 */
@Component
public class TrainerMetricsListener {

    static final String CONTAINER_FACTORY = "trainerMetricsContainerFactory";
    private static final Logger log = LoggerFactory.getLogger(TrainerMetricsListener.class);

    private final TrainerMetricsService metrics;
    private final DeadLetters deadLetters;
    private final AvroEventDeserializer<TrainerMetric> decoder = new AvroEventDeserializer<>(TrainerMetric.class);

    public TrainerMetricsListener(TrainerMetricsService metrics, DeadLetters deadLetters) {
        this.metrics = metrics;
        this.deadLetters = deadLetters;
    }

    @KafkaListener(id = "trainer-metrics", topics = "${rlhf.topics.trainer-metrics:" + Topics.TRAINER_METRICS + "}",
            containerFactory = CONTAINER_FACTORY)
    void onMetric(ConsumerRecord<String, byte[]> record) throws Exception {
        TrainerMetric m;
        try {
            m = decoder.deserialize(record.topic(), record.headers(), record.value());
        } catch (SerializationException e) {
            log.warn("Undecodable trainer metric at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            deadLetters.send(record, e.getMessage());
            return;
        }
        metrics.record(new MetricPoint(m.getRunId(), m.getPhase(), m.getStep(), m.getName(), m.getValue(), m.getTimestamp()));
    }

    /** Its own consumer settings (bytes in, committed after processing), independent of other listeners. */
    @Bean(CONTAINER_FACTORY)
    static ConcurrentKafkaListenerContainerFactory<String, byte[]> trainerMetricsContainerFactory(KafkaProperties properties) {
        Map<String, Object> config = properties.buildConsumerProperties();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "annotation-app-metrics");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        var factory = new ConcurrentKafkaListenerContainerFactory<String, byte[]>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer()));
        return factory;
    }
}
