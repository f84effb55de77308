package dev.rlhf.schemas.kafka;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads records written by {@link AvroEventSerializer} into the generated class {@code T},
 * resolving the writer's schema (known locally or taken from the record's schema header)
 * against {@code T}'s schema with Avro's schema-resolution rules: fields added with a default
 * on either side are filled in or skipped.
 */
public class AvroEventDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    /** Consumer property naming the generated class to read into, for construction by Kafka. */
    public static final String VALUE_TYPE_CONFIG = "rlhf.avro.value.type";

    private static final byte MARKER_0 = (byte) 0xC3;
    private static final byte MARKER_1 = (byte) 0x01;
    private static final int HEADER_LENGTH = 10;

    private Class<T> type;
    private Schema readerSchema;
    private SpecificData model;
    private final Map<Long, Schema> writerSchemas = new ConcurrentHashMap<>();
    private final Map<Long, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #VALUE_TYPE_CONFIG} must then be configured. */
    public AvroEventDeserializer() {
    }

    public AvroEventDeserializer(Class<T> type) {
        init(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (type != null) {
            return;
        }
        Object configured = configs.get(VALUE_TYPE_CONFIG);
        if (configured == null) {
            throw new IllegalArgumentException("AvroEventDeserializer needs '" + VALUE_TYPE_CONFIG + "' (the generated event class)");
        }
        try {
            init((Class<T>) (configured instanceof Class<?> c ? c : Class.forName(configured.toString())));
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(VALUE_TYPE_CONFIG + ": no class " + configured, e);
        }
    }

    private void init(Class<T> type) {
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
        writerSchemas.put(SchemaNormalization.parsingFingerprint64(readerSchema), readerSchema);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < HEADER_LENGTH || data[0] != MARKER_0 || data[1] != MARKER_1) {
            throw new SerializationException("Not an Avro single-object encoded " + readerSchema.getName()
                    + " (" + data.length + " bytes without the C3 01 marker) on topic " + topic);
        }
        long fingerprint = ByteBuffer.wrap(data, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        SpecificDatumReader<T> reader = readers.computeIfAbsent(fingerprint,
                fp -> new SpecificDatumReader<>(writerSchema(fp, headers, topic), readerSchema, model));
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER_LENGTH, data.length - HEADER_LENGTH, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot decode " + readerSchema.getName() + " on topic " + topic + ": " + e, e);
        }
    }

    private Schema writerSchema(long fingerprint, Headers headers, String topic) {
        Schema known = writerSchemas.get(fingerprint);
        if (known != null) {
            return known;
        }
        Header header = headers == null ? null : headers.lastHeader(AvroEventSerializer.SCHEMA_HEADER);
        if (header == null) {
            throw new SerializationException("Unknown writer schema (fingerprint " + Long.toHexString(fingerprint)
                    + ") for " + readerSchema.getName() + " on topic " + topic + " and no '"
                    + AvroEventSerializer.SCHEMA_HEADER + "' header");
        }
        Schema writer;
        try {
            writer = new Schema.Parser().parse(new String(header.value(), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new SerializationException("Unreadable '" + AvroEventSerializer.SCHEMA_HEADER + "' header on topic " + topic, e);
        }
        if (SchemaNormalization.parsingFingerprint64(writer) != fingerprint) {
            throw new SerializationException("The '" + AvroEventSerializer.SCHEMA_HEADER
                    + "' header does not match the record's schema fingerprint on topic " + topic);
        }
        writerSchemas.put(fingerprint, writer);
        return writer;
    }

    public Class<T> type() {
        return type;
    }
}
