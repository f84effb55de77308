package dev.rlhf.feedback.outbox;

/** Published when an outbox row is written; the relay wakes up once the transaction commits. */
public record OutboxAppended(String topic) {
}
