package dev.rlhf.feedback.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;

import com.zaxxer.hikari.HikariDataSource;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.platform.database.DatabaseKind;
import dev.rlhf.feedback.platform.database.DurableCommits;
import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.Topics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The relay against a broker that is not there yet (its own broker on its own ports, and the
 * embedded database): it keeps retrying with backoff, logs the outage once, and delivers every
 * waiting event once the broker is up.
 */
class OutboxRelayOutageTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    HikariDataSource dataSource;
    JdbcClient jdbc;
    OutboxWriter outbox;
    ListAppender<ILoggingEvent> relayLog = new ListAppender<>();
    Logger relayLogger = (Logger) LoggerFactory.getLogger(OutboxRelay.class);
    EmbeddedKafkaBroker broker;
    OutboxRelay relay;

    @BeforeEach
    void embeddedDatabase() {
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl("jdbc:h2:mem:outbox-" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        dataSource.setUsername("sa");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        jdbc = JdbcClient.create(dataSource);
        outbox = new OutboxWriter(jdbc, event -> { }, new BulkInsert(dataSource));
        relayLog.start();
        relayLogger.addAppender(relayLog);
    }

    @AfterEach
    void close() {
        if (relay != null) {
            relay.stop();
        }
        if (broker != null) {
            broker.close();
        }
        relayLogger.detachAppender(relayLog);
        dataSource.close();
    }

    @Test
    void retriesWithBackoffLogsTheOutageOnceAndDeliversEverythingWhenTheBrokerComesUp() throws Exception {
        int port = FreePorts.next();
        List<UUID> eventIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RankingSubmitted event = event("prompt-" + i);
            outbox.append(Topics.RANKINGS, event.getPromptId(), event);
            eventIds.add(event.getEventId());
        }
        var producers = new DefaultKafkaProducerFactory<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + port));
        relay = new OutboxRelay(new OutboxRepository(jdbc), new RelaySlots(dataSource, new DatabaseKind(dataSource)), new DurableCommits(new DatabaseKind(dataSource), jdbc, true), producers, Clock.systemUTC(), new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class),
                Duration.ofMillis(50), Duration.ofMillis(200), 100, Duration.ofMillis(300));
        relay.start();

        awaitTrue(() -> relay.failedAttempts() >= 5, "five failed delivery attempts");
        assertThat(unsent()).isEqualTo(5);
        assertThat(messages(Level.WARN)).hasSize(1).first().asString().startsWith("Cannot deliver outbox events");

        Path dataDir = Files.createTempDirectory("rlhf-relay-broker-");
        broker = new EmbeddedKafkaBroker(dataDir, port, FreePorts.next()).start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topics.RANKINGS, 1, (short) 1))).all().get();
        }
        awaitTrue(() -> unsent() == 0, "every outbox row marked sent");
        // Order kept across the failed attempts: a row whose send failed is never overtaken by the rows after it.

        // The relay marks the rows sent, then logs the recovery: wait for the line rather than race it.
        awaitTrue(() -> messages(Level.INFO).contains("Kafka reachable again: outbox delivery resumed"), "the recovery logged");
        assertThat(messages(Level.WARN)).as("one warning for the whole outage").hasSize(1);
        assertThat(messages(Level.INFO)).containsOnlyOnce("Kafka reachable again: outbox delivery resumed");
        try (var reader = KafkaTopicReader.avro(broker.bootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            var records = reader.readUntil(rs -> rs.size() >= eventIds.size(), DEADLINE);
            assertThat(reader.readToEnd(DEADLINE)).hasSize(eventIds.size());
            assertThat(records).extracting(r -> r.value().getEventId()).containsExactlyElementsOf(eventIds);
            assertThat(records).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo(r.value().getPromptId());
                assertThat(new String(r.headers().lastHeader(AvroEventSerializer.SCHEMA_HEADER).value(), StandardCharsets.UTF_8))
                        .isEqualTo(RankingSubmitted.getClassSchema().toString());
            });
        }
    }

    /**
     * A crash after Kafka acknowledged a batch but before the rows were marked sent: at its next start
     * the relay finds those events on the topic (by their event-id header) and marks them instead of
     * sending them a second time; the rest it sends.
     */
    @Test
    void eventsSentBeforeACrashButNotMarkedAreNotSentAgain() throws Exception {
        broker = new EmbeddedKafkaBroker(Files.createTempDirectory("rlhf-relay-broker-"), FreePorts.next(), FreePorts.next()).start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topics.RANKINGS, 3, (short) 1))).all().get();
        }
        List<UUID> eventIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RankingSubmitted event = event("prompt-" + i);
            outbox.append(Topics.RANKINGS, event.getPromptId(), event);
            eventIds.add(event.getEventId());
        }
        // What the relay of the crashed run had sent: the first three rows, as it sends them, never marked.
        var sentBefore = new OutboxRepository(jdbc).findUnsent(3);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            for (OutboxRecord r : sentBefore) {
                var record = new ProducerRecord<>(r.topic(), r.key(), r.payload());
                record.headers().add(OutboxRelay.EVENT_ID_HEADER, r.eventId().toString().getBytes(StandardCharsets.US_ASCII));
                producer.send(record).get();
            }
        }
        assertThat(unsent()).isEqualTo(5);

        var producers = new DefaultKafkaProducerFactory<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        relay = new OutboxRelay(new OutboxRepository(jdbc), new RelaySlots(dataSource, new DatabaseKind(dataSource)), new DurableCommits(new DatabaseKind(dataSource), jdbc, true), producers, Clock.systemUTC(),
                new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class), Duration.ofMillis(50), Duration.ofMillis(200), 100, Duration.ofSeconds(5));
        relay.start();
        awaitTrue(() -> unsent() == 0, "every outbox row marked sent");

        try (var reader = KafkaTopicReader.avro(broker.bootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            reader.readUntil(rs -> rs.size() >= eventIds.size(), DEADLINE);
            assertThat(reader.readToEnd(DEADLINE)).extracting(r -> r.value().getEventId()).containsExactlyInAnyOrderElementsOf(eventIds);
        }
        assertThat(messages(Level.INFO)).anyMatch(m -> m.startsWith("3 outbox event(s) were already on Kafka"));
    }

    private List<String> messages(Level level) {
        return relayLog.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private int unsent() {
        return jdbc.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").query(Integer.class).single();
    }

    private static RankingSubmitted event(String promptId) {
        return RankingSubmitted.newBuilder().setEventId(UUID.randomUUID()).setProjectId("project").setPromptId(promptId).setPrompt("Hi")
                .setResponses(List.of(RankedResponse.newBuilder().setId("a").setText("A").build(),
                        RankedResponse.newBuilder().setId("b").setText("B").build()))
                .setRanking(List.of(List.of("a"), List.of("b"))).setAnnotatorId("someone").setSubmittedAt(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                .setDurationMs(5).build();
    }

    private static void awaitTrue(Supplier<Boolean> condition, String what) {
        Instant deadline = Instant.now().plus(DEADLINE);
        while (!condition.get()) {
            assertThat(Instant.now()).as(what).isBefore(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
