package dev.rlhf.feedback.outbox;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import dev.rlhf.feedback.platform.database.SqlStatement;
import dev.rlhf.schemas.kafka.AvroEventSerializer;

/**
 * Appends events to the transactional outbox. Call it inside the transaction that writes the rows
 * the events announce: both commit or neither does, and the relay publishes the records later.
 * The payload is the event's Avro single-object encoding, exactly what the Kafka serializer sends.
 */
@Component
public class OutboxWriter {

    /** Rows per INSERT statement when appending many events (5 parameters each). */
    private static final int ROWS_PER_STATEMENT = 200;

    private final JdbcClient jdbc;
    private final ApplicationEventPublisher events;
    private final AvroEventSerializer<SpecificRecord> serializer = new AvroEventSerializer<>();

    public OutboxWriter(JdbcClient jdbc, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.events = events;
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

    /** Appends many events with few statements (bulk imports); in list order. The relay wakes once they commit. */
    public void appendAll(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        for (int start = 0; start < entries.size(); start += ROWS_PER_STATEMENT) {
            List<Entry> chunk = entries.subList(start, Math.min(entries.size(), start + ROWS_PER_STATEMENT));
            List<Object> params = new ArrayList<>(chunk.size() * 5);
            for (Entry entry : chunk) {
                params.add(eventId(entry.event()));
                params.add(entry.topic());
                params.add(entry.key());
                params.add(entry.event().getSchema().getFullName());
                params.add(serializer.serialize(entry.topic(), entry.event()));
            }
            jdbc.sql("INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES "
                            + String.join(", ", Collections.nCopies(chunk.size(), "(?, ?, ?, ?, ?)")))
                    .params(params).update();
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
