package dev.rlhf.feedback.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.platform.database.DatabaseKind;
import dev.rlhf.feedback.platform.database.DurableCommits;
import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.feedback.testing.TestPostgres;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Several relays on one PostgreSQL schema and one broker, as several app instances run them (each
 * with its own connection pool): they split the slots, never publish a row twice, keep each key's
 * rows in id order while relays join and leave, and a relay that takes over a dead one's slots does
 * not send again what the dead one had sent without marking.
 */
class OutboxRelaySlotsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    String schema;
    final List<HikariDataSource> pools = new ArrayList<>();
    final List<OutboxRelay> relays = new ArrayList<>();
    JdbcClient jdbc;
    OutboxWriter outbox;
    EmbeddedKafkaBroker broker;
    final ListAppender<ILoggingEvent> relayLog = new ListAppender<>();
    final Logger relayLogger = (Logger) LoggerFactory.getLogger(OutboxRelay.class);

    @BeforeEach
    void databaseAndBroker() throws Exception {
        schema = TestPostgres.newSchema();
        HikariDataSource writerPool = pool();
        Flyway.configure().dataSource(writerPool).schemas(schema).locations("classpath:db/migration").load().migrate();
        jdbc = JdbcClient.create(writerPool);
        outbox = new OutboxWriter(jdbc, event -> { }, new BulkInsert(writerPool));
        broker = new EmbeddedKafkaBroker(Files.createTempDirectory("rlhf-relay-slots-"), FreePorts.next(), FreePorts.next()).start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topics.RANKINGS, 3, (short) 1))).all().get();
        }
        relayLog.start();
        relayLogger.addAppender(relayLog);
    }

    @AfterEach
    void close() {
        relays.forEach(OutboxRelay::stop);
        if (broker != null) {
            broker.close();
        }
        relayLogger.detachAppender(relayLog);
        pools.forEach(HikariDataSource::close);
    }

    @Test
    void relaysJoiningAndLeavingPublishEveryRowOnceInKeyOrder() throws Exception {
        Map<String, List<UUID>> written = new LinkedHashMap<>();
        OutboxRelay first = startRelay();
        var writer = Thread.ofPlatform().start(() -> {
            // 40 keys with 15 rows each, interleaved, written while relays come and go.
            for (int round = 0; round < 15; round++) {
                for (int key = 0; key < 40; key++) {
                    RankingSubmitted event = event("prompt-" + key);
                    outbox.append(Topics.RANKINGS, event.getPromptId(), event);
                    synchronized (written) {
                        written.computeIfAbsent(event.getPromptId(), k -> new ArrayList<>()).add(event.getEventId());
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(150).toNanos());
            }
        });
        awaitTrue(() -> first.ownedSlots() == RelaySlots.SLOTS, "the first relay owns every slot");
        OutboxRelay second = startRelay();
        OutboxRelay third = startRelay();
        // Shares of ceil(16 / 3) = 6: two relays own 6 slots, one the 4 left.
        awaitTrue(() -> List.of(first.ownedSlots(), second.ownedSlots(), third.ownedSlots()).stream().allMatch(n -> n >= 4 && n <= 6)
                        && first.ownedSlots() + second.ownedSlots() + third.ownedSlots() == RelaySlots.SLOTS,
                "three relays split the slots");
        second.stop(); // leaves: its slots go to the other two
        awaitTrue(() -> first.ownedSlots() + third.ownedSlots() == RelaySlots.SLOTS, "the two left take the slots over");
        writer.join();
        awaitTrue(() -> unsent() == 0, "every row marked sent");

        List<UUID> all = written.values().stream().flatMap(List::stream).toList();
        try (var reader = KafkaTopicReader.avro(broker.bootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            reader.readUntil(rs -> rs.size() >= all.size(), DEADLINE);
            var records = reader.readToEnd(DEADLINE);
            assertThat(records).extracting(r -> r.value().getEventId()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(all);
            Map<String, List<UUID>> byKey = new HashMap<>();
            records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getEventId()));
            assertThat(byKey).as("each key's events in the order they were written").isEqualTo(written);
        }
    }

    @Test
    void aRelayTakingOverADeadRelaysSlotsDoesNotSendAgainWhatItSentWithoutMarking() throws Exception {
        List<UUID> eventIds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            RankingSubmitted event = event("prompt-" + i);
            outbox.append(Topics.RANKINGS, event.getPromptId(), event);
            eventIds.add(event.getEventId());
        }
        // A relay that holds every slot, sends the first 8 rows and dies before marking them.
        try (Connection dead = DriverManager.getConnection(TestPostgres.url(schema), TestPostgres.USER, "")) {
            try (Statement s = dead.createStatement();
                 ResultSet rs = s.executeQuery("SELECT hashtext(current_schema() || ':rlhf.outbox.slots') & 2147483647, "
                         + "hashtext(current_schema() || ':rlhf.outbox.relays') & 2147483647, pg_backend_pid()")) {
                rs.next();
                long slots = rs.getLong(1);
                s.getConnection().createStatement().execute("SELECT pg_advisory_lock(" + rs.getLong(2) + ", " + rs.getInt(3) + ")");
                for (int slot = 0; slot < RelaySlots.SLOTS; slot++) {
                    s.getConnection().createStatement().execute("SELECT pg_advisory_lock(" + slots + ", " + slot + ")");
                }
            }
            try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (OutboxRecord r : new OutboxRepository(jdbc).findUnsent(8)) {
                    var record = new ProducerRecord<>(r.topic(), r.key(), r.payload());
                    record.headers().add(OutboxRelay.EVENT_ID_HEADER, r.eventId().toString().getBytes(StandardCharsets.US_ASCII));
                    producer.send(record).get();
                }
            }
            OutboxRelay survivor = startRelay();
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
            assertThat(survivor.ownedSlots()).as("every slot is held by the other relay").isZero();
            assertThat(unsent()).isEqualTo(20);
        } // the session ends: PostgreSQL frees the dead relay's locks
        awaitTrue(() -> unsent() == 0, "the survivor takes the slots and delivers");
        try (var reader = KafkaTopicReader.avro(broker.bootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            reader.readUntil(rs -> rs.size() >= eventIds.size(), DEADLINE);
            assertThat(reader.readToEnd(DEADLINE)).extracting(r -> r.value().getEventId()).containsExactlyInAnyOrderElementsOf(eventIds);
        }
        assertThat(relayLog.list).extracting(ILoggingEvent::getFormattedMessage).anyMatch(m -> m.startsWith("8 outbox event(s) were already on Kafka"));
    }

    private OutboxRelay startRelay() {
        HikariDataSource pool = pool();
        JdbcClient client = JdbcClient.create(pool);
        var producers = new DefaultKafkaProducerFactory<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        OutboxRelay relay = new OutboxRelay(new OutboxRepository(client), new RelaySlots(pool, new DatabaseKind(pool)),
                new DurableCommits(new DatabaseKind(pool), client, true), producers, Clock.systemUTC(),
                new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class), Duration.ofMillis(50), Duration.ofMillis(200), 50,
                Duration.ofSeconds(5));
        relay.start();
        relays.add(relay);
        return relay;
    }

    private HikariDataSource pool() {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(TestPostgres.url(schema));
        pool.setUsername(TestPostgres.USER);
        pool.setMaximumPoolSize(3);
        pools.add(pool);
        return pool;
    }

    private int unsent() {
        return jdbc.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").query(Integer.class).single();
    }

    private static RankingSubmitted event(String promptId) {
        return RankingSubmitted.newBuilder().setEventId(UUID.randomUUID()).setProjectId("project").setPromptId(promptId).setPrompt("Hi")
                .setResponses(List.of(RankedResponse.newBuilder().setId("a").setText("A").build(),
                        RankedResponse.newBuilder().setId("b").setText("B").build()))
                .setRanking(List.of(List.of("a"), List.of("b"))).setAnnotatorId("someone")
                .setSubmittedAt(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).setDurationMs(5).build();
    }

    private static void awaitTrue(Supplier<Boolean> condition, String what) {
        Instant deadline = Instant.now().plus(DEADLINE);
        while (!condition.get()) {
            assertThat(Instant.now()).as(what).isBefore(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
