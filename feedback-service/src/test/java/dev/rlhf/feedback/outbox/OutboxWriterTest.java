package dev.rlhf.feedback.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;

class OutboxWriterTest extends IntegrationTest {

    @Autowired
    OutboxWriter outbox;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    PlatformTransactionManager transactions;

    private record Row(String topic, String key, String type, byte[] payload, boolean sent) {
    }

    @Test
    void appendStoresTheSingleObjectEncodingUnderTheEventsId() {
        SampleRequested event = sampleRequested();
        outbox.append("rlhf.sample-requests.v1", event.getPromptId(), event);

        Row row = row(event.getEventId());
        assertThat(row.topic()).isEqualTo("rlhf.sample-requests.v1");
        assertThat(row.key()).isEqualTo(event.getPromptId());
        assertThat(row.type()).isEqualTo(SampleRequested.class.getName());
        assertThat(row.sent()).isFalse();
        // The relay sends these bytes as they are; a consumer reads them back into the same event.
        try (var deserializer = new AvroEventDeserializer<>(SampleRequested.class)) {
            assertThat(deserializer.deserialize(row.topic(), row.payload())).isEqualTo(event);
        }
    }

    @Test
    void appendAllWritesEveryEventInOrder() {
        List<SampleRequested> events = java.util.stream.IntStream.range(0, 450).mapToObj(i -> sampleRequested()).toList();
        outbox.appendAll(events.stream().map(e -> new OutboxWriter.Entry("rlhf.sample-requests.v1", e.getPromptId(), e)).toList());

        List<String> keys = jdbc.sql("SELECT record_key FROM outbox WHERE event_id IN (:ids) ORDER BY id")
                .param("ids", events.stream().map(SampleRequested::getEventId).toList()).query(String.class).list();
        assertThat(keys).containsExactlyElementsOf(events.stream().map(SampleRequested::getPromptId).toList());
    }

    @Test
    void appendIsPartOfTheCallersTransaction() {
        SampleRequested event = sampleRequested();
        new TransactionTemplate(transactions).executeWithoutResult(status -> {
            outbox.append("rlhf.sample-requests.v1", event.getPromptId(), event);
            status.setRollbackOnly();
        });
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE event_id = ?").param(event.getEventId()).query(Long.class).single()).isZero();
    }

    @Test
    void eventsWithoutAnEventIdAreRefused() {
        TrainerMetric metric = TrainerMetric.newBuilder().setRunId("run").setPhase("ppo").setStep(1).setName("loss").setValue(0.5)
                .setTimestamp(Instant.now()).build();
        assertThatThrownBy(() -> outbox.append("rlhf.trainer-metrics.v1", "run", metric))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no eventId field");
    }

    private static SampleRequested sampleRequested() {
        return SampleRequested.newBuilder().setEventId(UUID.randomUUID()).setProjectId(UUID.randomUUID().toString())
                .setPromptId(UUID.randomUUID().toString()).setPrompt(List.of(new Turn("user", "Write a story about a dog.")))
                .setNumSamples(4).setGeneration(null).build();
    }

    private Row row(UUID eventId) {
        return jdbc.sql("SELECT topic, record_key, event_type, payload, sent_at FROM outbox WHERE event_id = ?").param(eventId)
                .query((rs, n) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBytes(4),
                        rs.getObject(5) != null))
                .single();
    }
}
