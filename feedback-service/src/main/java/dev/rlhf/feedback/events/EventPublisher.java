package dev.rlhf.feedback.events;

import java.util.concurrent.CompletableFuture;

import org.apache.avro.specific.SpecificRecord;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.stereotype.Component;

import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;

/**
 * Sends the feedback side's events to their topics, keyed by prompt id so one prompt's events stay
 * in order. Values go through the shared Avro serializer (configured in application.yaml); the
 * producer is idempotent with acks=all.
 */
@Component
public class EventPublisher {

    private final KafkaTemplate<String, SpecificRecord> kafka;
    private final RlhfProperties.TopicSettings topics;

    public EventPublisher(KafkaTemplate<String, SpecificRecord> kafka, RlhfProperties properties) {
        this.kafka = kafka;
        this.topics = properties.topics();
    }

    public CompletableFuture<SendResult<String, SpecificRecord>> rankingSubmitted(RankingSubmitted event) {
        return kafka.send(topics.rankings(), event.getPromptId(), event);
    }

    public CompletableFuture<SendResult<String, SpecificRecord>> sampleRequested(SampleRequested event) {
        return kafka.send(topics.sampleRequests(), event.getPromptId(), event);
    }
}
