package dev.rlhf.feedback.outbox;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.apache.avro.specific.SpecificRecord;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.schemas.kafka.AvroEventSerializer;

/**
 * The transactional outbox: {@link #insert} runs inside the caller's transaction, next to the row
 * the event announces; {@link OutboxRelay} publishes unsent rows in id order and marks them sent.
 */
@Repository
public class OutboxRepository {

    private final JdbcClient jdbc;
    private final ApplicationEventPublisher events;
    private final AvroEventSerializer<SpecificRecord> serializer = new AvroEventSerializer<>();

    public OutboxRepository(JdbcClient jdbc, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.events = events;
    }

    /** Stores the event's single-object encoding; the relay adds the schema header when it publishes. */
    public void insert(UUID eventId, String topic, String key, SpecificRecord event) {
        jdbc.sql("INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)")
                .params(eventId, topic, key, event.getClass().getName(), serializer.serialize(topic, event))
                .update();
        events.publishEvent(new OutboxAppended(topic));
    }

    public List<OutboxRecord> findUnsent(int limit) {
        return jdbc.sql("SELECT id, event_id, topic, record_key, event_type, payload FROM outbox WHERE sent_at IS NULL ORDER BY id FETCH FIRST ? ROWS ONLY")
                .param(limit)
                .query((rs, row) -> new OutboxRecord(rs.getLong("id"), rs.getObject("event_id", UUID.class), rs.getString("topic"),
                        rs.getString("record_key"), rs.getString("event_type"), rs.getBytes("payload")))
                .list();
    }

    public void markSent(List<Long> ids, Instant sentAt) {
        if (ids.isEmpty()) {
            return;
        }
        jdbc.sql("UPDATE outbox SET sent_at = :sentAt WHERE id IN (:ids)")
                .param("sentAt", OffsetDateTime.ofInstant(sentAt, ZoneOffset.UTC)).param("ids", ids).update();
    }

    public long countUnsent() {
        return jdbc.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").query(Long.class).single();
    }
}
