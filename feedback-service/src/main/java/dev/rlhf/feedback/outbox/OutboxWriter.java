package dev.rlhf.feedback.outbox;

import java.util.UUID;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import dev.rlhf.schemas.kafka.AvroEventSerializer;

/**
 * Appends an event to the transactional outbox. Call it inside the transaction that writes the rows
 * the event announces: both commit or neither does, and the relay publishes the record later.
 * The payload is the event's Avro single-object encoding, exactly what the Kafka serializer sends.
 */
@Component
public class OutboxWriter {

    private final JdbcClient jdbc;
    private final AvroEventSerializer<SpecificRecord> serializer = new AvroEventSerializer<>();

    public OutboxWriter(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * @param topic the Kafka topic the relay will publish to
     * @param key   the record key (the prompt id for the pipeline's events)
     * @param event a generated event with an {@code eventId} field, which becomes the outbox row's unique event id
     */
    public void append(String topic, String key, SpecificRecord event) {
        jdbc.sql("INSERT INTO outbox (event_id, topic, record_key, event_type, payload) VALUES (?, ?, ?, ?, ?)")
                .params(eventId(event), topic, key, event.getSchema().getFullName(), serializer.serialize(topic, event))
                .update();
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
