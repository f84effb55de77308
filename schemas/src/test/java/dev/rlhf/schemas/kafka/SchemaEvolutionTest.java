package dev.rlhf.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;

class SchemaEvolutionTest {

    private static final String TOPIC = Topics.RANKINGS;

    static RankingSubmitted ranking() {
        return RankingSubmitted.newBuilder()
                .setEventId(UUID.fromString("2f1e5c6a-2b7d-4c55-9f0e-1a2b3c4d5e6f"))
                .setProjectId("p1")
                .setPromptId("q1")
                .setPrompt("Tell me a story about a dog.")
                .setResponses(List.of(
                        RankedResponse.newBuilder().setId("r1").setText("Once upon a time").setPolicyVersion("v3").build(),
                        RankedResponse.newBuilder().setId("r2").setText("A dog ran").setModel("stories260K").build(),
                        RankedResponse.newBuilder().setId("r3").setText("The end").build()))
                .setRanking(List.of(List.of("r1"), List.of("r2", "r3")))
                .setFlags(Map.of("r3", List.of("off-topic")))
                .setAnnotatorId("alice")
                .setSubmittedAt(Instant.parse("2026-11-23T10:15:30.123Z"))
                .setDurationMs(8100)
                .build();
    }

    /** The current RankingSubmitted schema with one more optional field, as a future version would add. */
    static Schema withAddedOptionalField() {
        Schema current = RankingSubmitted.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : current.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("locale", Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                "added in a later version", Schema.Field.NULL_DEFAULT_VALUE));
        return Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
    }

    @Test
    void roundTripsThroughTheSharedSerde() {
        var headers = new RecordHeaders();
        byte[] bytes = new AvroEventSerializer<RankingSubmitted>().serialize(TOPIC, headers, ranking());

        RankingSubmitted read = new AvroEventDeserializer<>(RankingSubmitted.class).deserialize(TOPIC, headers, bytes);

        assertThat(read).isEqualTo(ranking());
        assertThat(read.getEventId()).isEqualTo(UUID.fromString("2f1e5c6a-2b7d-4c55-9f0e-1a2b3c4d5e6f"));
        assertThat(read.getSubmittedAt()).isEqualTo(Instant.parse("2026-11-23T10:15:30.123Z"));
        assertThat(read.getRanking()).containsExactly(List.of("r1"), List.of("r2", "r3"));
        assertThat(read.getNoneAcceptable()).isFalse();
    }

    @Test
    void currentConsumerReadsARecordWrittenWithAnAddedOptionalField() {
        Schema newer = withAddedOptionalField();
        GenericRecord written = copyInto(newer, ranking());
        written.put("locale", "en-GB");
        var headers = new RecordHeaders();
        byte[] bytes = new AvroEventSerializer<GenericRecord>().serialize(TOPIC, headers, written);

        RankingSubmitted read = new AvroEventDeserializer<>(RankingSubmitted.class).deserialize(TOPIC, headers, bytes);

        assertThat(read).isEqualTo(ranking());
    }

    @Test
    void consumerOnANewerSchemaReadsARecordWrittenWithTheCurrentOne() throws Exception {
        Schema newer = withAddedOptionalField();
        byte[] bytes = new AvroEventSerializer<RankingSubmitted>().serialize(TOPIC, new RecordHeaders(), ranking());

        // A newer reader with plain Avro tooling and the .avsc of the writer: the added field takes its default.
        var decoder = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), newer);
        decoder.addSchema(RankingSubmitted.getClassSchema());
        GenericRecord read = decoder.decode(new ByteArrayInputStream(bytes));

        assertThat(read.get("locale")).isNull();
        assertThat(read.get("promptId").toString()).isEqualTo("q1");
        assertThat(read.get("durationMs")).isEqualTo(8100L);
    }

    @Test
    void recordOfAnUnknownSchemaWithoutTheSchemaHeaderIsRejectedClearly() {
        GenericRecord written = copyInto(withAddedOptionalField(), ranking());
        byte[] bytes = new AvroEventSerializer<GenericRecord>().serialize(TOPIC, written);

        assertThatThrownBy(() -> new AvroEventDeserializer<>(RankingSubmitted.class).deserialize(TOPIC, new RecordHeaders(), bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown writer schema");
    }

    @Test
    void bytesThatAreNotAvroAreRejectedClearly() {
        assertThatThrownBy(() -> new AvroEventDeserializer<>(RankingSubmitted.class)
                .deserialize(TOPIC, new RecordHeaders(), "{\"not\":\"avro\"}".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("single-object");
    }

    private static GenericRecord copyInto(Schema schema, RankingSubmitted source) {
        // Round trip through the generic model so nested records carry plain generic values.
        GenericData.Record record = new GenericData.Record(schema);
        var model = GenericData.get();
        for (Schema.Field f : source.getSchema().getFields()) {
            Object value = source.get(f.pos());
            record.put(f.name(), toGeneric(model, f.schema(), value));
        }
        return record;
    }

    private static Object toGeneric(GenericData model, Schema schema, Object value) {
        if (value instanceof UUID u) {
            return u.toString();
        }
        if (value instanceof Instant i) {
            return i.toEpochMilli();
        }
        if (value instanceof org.apache.avro.specific.SpecificRecord r) {
            GenericData.Record copy = new GenericData.Record(r.getSchema());
            for (Schema.Field f : r.getSchema().getFields()) {
                copy.put(f.pos(), toGeneric(model, f.schema(), r.get(f.pos())));
            }
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(v -> toGeneric(model, schema, v)).toList();
        }
        return value;
    }
}
