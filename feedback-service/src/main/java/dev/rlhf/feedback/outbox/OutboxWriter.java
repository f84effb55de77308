package dev.rlhf.feedback.outbox;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.platform.database.SqlStatement;
import dev.rlhf.schemas.kafka.AvroEventSerializer;

/**
 * Appends events to the transactional outbox. Call it inside the transaction that writes the rows
 * the events announce: both commit or neither does, and the relay publishes the records later.
 * The payload is the event's Avro single-object encoding, exactly what the Kafka serializer sends.
 */
@Component
public class OutboxWriter {

    private final JdbcClient jdbc;
    private final ApplicationEventPublisher events;
    private final BulkInsert bulk;
    private final AvroEventSerializer<SpecificRecord> serializer = new AvroEventSerializer<>();

    public OutboxWriter(JdbcClient jdbc, ApplicationEventPublisher events, BulkInsert bulk) {
        this.jdbc = jdbc;
        this.events = events;
        this.bulk = bulk;
    }

    /** One event for {@link #appendAll}. */
    public record Entry(String topic, String key, SpecificRecord event) {
    }

    /**
     * @param topic the Kafka topic the relay will publish to
     * @param key   the record key (the prompt id for the pipeline's events)
     * @param event a generated event with an {@code eventId} field, which becomes the outbox row's unique event id
     */
    public void append(String topic, String key, SpecificRecord event) {
        appendAll(List.of(new Entry(topic, key, event)));
    }

    /**
     * Appends one event in the same statement, and so the same round trip, as {@code companions}
     * (PostgreSQL only: they run as data-modifying CTEs, {@code WITH s1 AS (INSERT ...), s2 AS
     * (UPDATE ...) INSERT INTO outbox ...}). All of it commits with the caller's transaction.
     */
    public void appendWith(List<SqlStatement> companions, String topic, String key, SpecificRecord event) {
        StringBuilder sql = new StringBuilder("WITH ");
        List<Object> params = new ArrayList<>();
        for (int i = 0; i < companions.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("s").append(i).append(" AS (").append(companions.get(i).sql()).append(")");
            params.addAll(companions.get(i).params());
        }
        sql.append(" INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)");
        params.addAll(List.of(eventId(event), topic, key, event.getSchema().getFullName(), serializer.serialize(topic, event)));
        jdbc.sql(sql.toString()).params(params).update();
        events.publishEvent(new OutboxAppended(topic));
    }

    /**
     * Appends many events in list order (bulk imports): with {@code COPY} on PostgreSQL, multi-row
     * INSERTs elsewhere. The relay wakes once they commit.
     */
    public void appendAll(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (entries.size() == 1) {
            Entry entry = entries.getFirst();
            jdbc.sql("INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)")
                    .params(eventId(entry.event()), entry.topic(), entry.key(), entry.event().getSchema().getFullName(),
                            serializer.serialize(entry.topic(), entry.event()))
                    .update();
        } else {
            List<Object[]> rows = new ArrayList<>(entries.size());
            for (Entry entry : entries) {
                rows.add(new Object[] {eventId(entry.event()), entry.topic(), entry.key(), entry.event().getSchema().getFullName(),
                        serializer.serialize(entry.topic(), entry.event())});
            }
            bulk.insert("outbox", "event_id, topic, record_key, event_type, payload", rows);
        }
        events.publishEvent(new OutboxAppended(entries.getLast().topic()));
    }

    static UUID eventId(SpecificRecord event) {
        Schema.Field field = event.getSchema().getField("eventId");
        if (field == null) {
            throw new IllegalArgumentException(event.getSchema().getFullName() + " has no eventId field");
        }
        Object value = event.get(field.pos());
        if (value instanceof UUID id) {
            return id;
        }
        if (value instanceof CharSequence text) {
            return UUID.fromString(text.toString());
        }
        throw new IllegalArgumentException(event.getSchema().getFullName() + ".eventId is missing");
    }
}
