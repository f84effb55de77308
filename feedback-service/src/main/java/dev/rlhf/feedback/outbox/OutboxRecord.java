package dev.rlhf.feedback.outbox;

import java.util.UUID;

/** An event waiting in the outbox: its Kafka topic and key, and the Avro single-object encoded value. */
public record OutboxRecord(long id, UUID eventId, String topic, String key, String eventType, byte[] payload) {
}
