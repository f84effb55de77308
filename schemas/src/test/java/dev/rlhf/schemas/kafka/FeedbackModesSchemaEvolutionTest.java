package dev.rlhf.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.Turn;

/**
 * {@code RankingSubmitted} gained {@code feedbackMode}, {@code strength}, {@code ratings} and {@code labels}
 * (issue 16), all with defaults. Both directions of Avro schema resolution against the schema as it was
 * before (a copy in {@code src/test/resources/avro}, from commit bb451b9): events a producer on the old
 * schema wrote (or that sit in the topic from before the upgrade) read as rankings, and consumers still on
 * the old schema read the new events, skipping the grades.
 */
class FeedbackModesSchemaEvolutionTest {

    private static final String TOPIC = Topics.RANKINGS;
    private static final UUID EVENT_ID = UUID.fromString("7a0c1d9e-3b4f-4a52-8e61-0f1e2d3c4b5a");
    private static final Instant SUBMITTED_AT = Instant.parse("2026-12-06T23:10:00.250Z");

    /** The RankingSubmitted schema before feedback modes; it names the shared Turn record, parsed first. */
    static Schema beforeFeedbackModes() throws IOException {
        Schema.Parser parser = new Schema.Parser();
        parser.parse(Turn.getClassSchema().toString());
        try (InputStream in = FeedbackModesSchemaEvolutionTest.class.getResourceAsStream("/avro/RankingSubmitted-before-feedback-modes.avsc")) {
            return parser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theOldAndTheNewSchemaAreMutuallyCompatible() throws IOException {
        Schema old = beforeFeedbackModes();
        Schema current = RankingSubmitted.getClassSchema();
        assertThat(old.getField("feedbackMode")).isNull();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, old).getType())
                .as("new reader, old writer").isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(old, current).getType())
                .as("old reader, new writer").isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void theNewDeserializerReadsAnEventWrittenWithTheOldSchemaAsARanking() throws IOException {
        Schema old = beforeFeedbackModes();
        Schema responseSchema = old.getField("responses").schema().getElementType();
        GenericData.Record r1 = new GenericData.Record(responseSchema);
        r1.put("id", "r1");
        r1.put("text", "Once upon a time");
        r1.put("policyVersion", "v3");
        GenericData.Record r2 = new GenericData.Record(responseSchema);
        r2.put("id", "r2");
        r2.put("text", "A dog ran");
        r2.put("model", "stories260K");
        GenericData.Record written = new GenericData.Record(old);
        written.put("eventId", EVENT_ID.toString());
        written.put("projectId", "p1");
        written.put("promptId", "q1");
        written.put("prompt", "Tell me a story about a dog.");
        written.put("responses", List.of(r1, r2));
        written.put("ranking", List.of(List.of("r2"), List.of("r1")));
        written.put("flags", Map.of("r1", List.of("off-topic")));
        written.put("annotatorId", "alice");
        written.put("submittedAt", SUBMITTED_AT.toEpochMilli());
        written.put("durationMs", 8100L);
        written.put("conversation", List.of());
        written.put("noneAcceptable", false);
        var headers = new RecordHeaders();
        // What the relay of a service on the old schema sent: the bytes and the writer's schema in the header.
        byte[] bytes = new AvroEventSerializer<GenericRecord>().serialize(TOPIC, headers, written);

        RankingSubmitted read = new AvroEventDeserializer<>(RankingSubmitted.class).deserialize(TOPIC, headers, bytes);

        assertThat(read.getFeedbackMode()).as("the default: a plain ranking").isEqualTo("ranking");
        assertThat(read.getStrength()).isNull();
        assertThat(read.getRatings()).isEmpty();
        assertThat(read.getLabels()).isEmpty();
        assertThat(read.getEventId()).isEqualTo(EVENT_ID);
        assertThat(read.getRanking()).containsExactly(List.of("r2"), List.of("r1"));
        assertThat(read.getResponses()).extracting(RankedResponse::getId).containsExactly("r1", "r2");
        assertThat(read.getFlags()).containsEntry("r1", List.of("off-topic"));
        assertThat(read.getSubmittedAt()).isEqualTo(SUBMITTED_AT);
        assertThat(read.getDurationMs()).isEqualTo(8100L);
    }

    @Test
    void aConsumerOnTheOldSchemaReadsANewEventWithoutItsGrades() throws IOException {
        Map<String, Integer> ratings = new LinkedHashMap<>();
        ratings.put("r1", 6);
        ratings.put("r2", 2);
        ratings.put("r3", 2);
        RankingSubmitted rating = event().setFeedbackMode("rating").setRatings(ratings)
                .setRanking(List.of(List.of("r1"), List.of("r2", "r3"))).build();
        var headers = new RecordHeaders();
        byte[] bytes = new AvroEventSerializer<RankingSubmitted>().serialize(TOPIC, headers, rating);
        // The writer's schema as the consumer gets it: from the record's header.
        Schema writer = new Schema.Parser().parse(new String(headers.lastHeader(AvroEventSerializer.SCHEMA_HEADER).value(), StandardCharsets.UTF_8));

        var oldReader = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), beforeFeedbackModes());
        oldReader.addSchema(writer);
        GenericRecord read = oldReader.decode(new ByteArrayInputStream(bytes));

        assertThat(read.getSchema().getField("feedbackMode")).isNull();
        assertThat(read.getSchema().getField("ratings")).isNull();
        assertThat(read.get("eventId").toString()).isEqualTo(EVENT_ID.toString());
        assertThat(read.get("ranking").toString()).as("the derived ranking is what an old consumer trains on")
                .isEqualTo("[[r1], [r2, r3]]");
        assertThat(read.get("durationMs")).isEqualTo(1500L);
        assertThat(read.get("noneAcceptable")).isEqualTo(false);
        assertThat(((List<?>) read.get("responses"))).hasSize(3);
    }

    @Test
    void everyModesGradesSurviveTheSharedSerde() {
        var deserializer = new AvroEventDeserializer<>(RankingSubmitted.class);
        var serializer = new AvroEventSerializer<RankingSubmitted>();
        List<RankingSubmitted> events = List.of(
                event().build(),
                event().setFeedbackMode("pairwise").setStrength(2).setRanking(List.of(List.of("r2"), List.of("r1"))).build(),
                event().setFeedbackMode("rating").setRatings(Map.of("r1", 7, "r2", 1, "r3", 1)).build(),
                event().setFeedbackMode("binary").setLabels(Map.of("r1", true, "r2", false, "r3", false)).build());
        for (RankingSubmitted e : events) {
            var headers = new RecordHeaders();
            assertThat(deserializer.deserialize(TOPIC, headers, serializer.serialize(TOPIC, headers, e))).isEqualTo(e);
        }
        assertThat(events.getFirst().getFeedbackMode()).as("the builder's default").isEqualTo("ranking");
    }

    private static RankingSubmitted.Builder event() {
        return RankingSubmitted.newBuilder()
                .setEventId(EVENT_ID)
                .setProjectId("p2")
                .setPromptId("q2")
                .setPrompt("Which answer is better?")
                .setResponses(List.of(
                        RankedResponse.newBuilder().setId("r1").setText("first").build(),
                        RankedResponse.newBuilder().setId("r2").setText("second").build(),
                        RankedResponse.newBuilder().setId("r3").setText("third").build()))
                .setRanking(List.of(List.of("r1"), List.of("r2", "r3")))
                .setAnnotatorId("bob")
                .setSubmittedAt(SUBMITTED_AT)
                .setDurationMs(1500);
    }
}
