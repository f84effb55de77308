package dev.rlhf.feedback.sampling;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import dev.rlhf.schemas.events.SamplesGenerated;

/** Consumes {@code rlhf.samples.v1}: each event's responses become ranking tasks (see {@link SampleIngestion}). */
@Component
public class SamplesConsumer {

    private final SampleIngestion ingestion;

    public SamplesConsumer(SampleIngestion ingestion) {
        this.ingestion = ingestion;
    }

    @KafkaListener(id = "feedback-samples", topics = "${rlhf.topics.samples:" + dev.rlhf.schemas.kafka.Topics.SAMPLES + "}",
            groupId = SamplesKafkaConfiguration.GROUP_ID, containerFactory = SamplesKafkaConfiguration.CONTAINER_FACTORY,
            autoStartup = "${rlhf.samples.consumer.auto-startup:true}")
    void onSamples(ConsumerRecord<String, SamplesGenerated> record) {
        ingestion.ingest(record.topic(), record.value());
    }
}
