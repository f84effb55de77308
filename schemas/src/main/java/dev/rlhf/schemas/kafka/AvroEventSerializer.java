package dev.rlhf.schemas.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes an Avro record in Avro's single-object encoding (marker, 8-byte schema fingerprint,
 * binary body), so any Avro library reads it with the {@code .avsc} files, and puts the writer's
 * schema in the {@value #SCHEMA_HEADER} header, so a reader on an older or newer schema can
 * resolve it without a schema registry.
 */
public class AvroEventSerializer<T extends GenericContainer> implements Serializer<T> {

    /** Record header holding the writer's schema as JSON. */
    public static final String SCHEMA_HEADER = "avro.schema";

    private final Map<Schema, BinaryMessageEncoder<T>> encoders = new ConcurrentHashMap<>();
    private final Map<Schema, byte[]> schemaJson = new ConcurrentHashMap<>();

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : encode(data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        if (data == null) {
            return null;
        }
        Schema schema = data.getSchema();
        headers.remove(SCHEMA_HEADER);
        headers.add(SCHEMA_HEADER, schemaJson.computeIfAbsent(schema,
                s -> s.toString().getBytes(StandardCharsets.UTF_8)));
        return encode(data);
    }

    private byte[] encode(T data) {
        BinaryMessageEncoder<T> encoder = encoders.computeIfAbsent(data.getSchema(),
                schema -> new BinaryMessageEncoder<>(modelFor(data), schema));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            encoder.encode(data, out);
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot encode " + data.getSchema().getFullName() + ": " + e.getMessage(), e);
        }
    }

    /** Generated classes carry their own model with the logical-type conversions (uuid, timestamps). */
    private static GenericData modelFor(GenericContainer data) {
        return data instanceof SpecificRecord ? SpecificData.getForClass(data.getClass()) : GenericData.get();
    }
}
