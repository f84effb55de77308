package dev.rlhf.trainer.serve;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

/**
 * Consumes Avro events from one or more topics in a consumer group and hands each decoded event to
 * its topic's handler; offsets are committed only after the handlers of a poll have returned (and the
 * {@link #beforeCommit} action, e.g. one fsync for the poll's writes), so a
 * crash re-delivers rather than loses (handlers are idempotent on event ids). A record that cannot
 * be decoded, or that its handler rejects with an {@link IllegalArgumentException}, is dead-lettered
 * ({@link DeadLetters}) and consumption carries on.
 */
public final class InboundEvents implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboundEvents.class);

    private record Route<T extends SpecificRecord>(AvroEventDeserializer<T> decoder, Consumer<T> handler) {
        void handle(ConsumerRecord<String, byte[]> record) {
            handler.accept(decoder.deserialize(record.topic(), record.headers(), record.value()));
        }
    }

    private final Map<String, Route<?>> routes = new LinkedHashMap<>();
    private Runnable beforeCommit = () -> {};
    private final KafkaConsumer<String, byte[]> consumer;
    private final DeadLetters deadLetters;

    public InboundEvents(String bootstrapServers, String groupId) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.deadLetters = new DeadLetters(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Routes the events of {@code topic}, decoded as {@code type}, to {@code handler}. Call before {@link #run()}. */
    public <T extends SpecificRecord> InboundEvents on(String topic, Class<T> type, Consumer<T> handler) {
        routes.put(topic, new Route<>(new AvroEventDeserializer<>(type), handler));
        return this;
    }

    /** Runs after the handlers of a poll and before its offsets are committed: e.g. an fsync of what they wrote. */
    public InboundEvents beforeCommit(Runnable action) {
        this.beforeCommit = action;
        return this;
    }

    /** Polls until {@link #wakeup()} is called from another thread (e.g. a shutdown hook). */
    public void run() {
        consumer.subscribe(routes.keySet());
        try {
            while (true) {
                var records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> record : records) {
                    handle(record);
                }
                if (!records.isEmpty()) {
                    beforeCommit.run();
                    consumer.commitSync();
                }
            }
        } catch (WakeupException stopping) {
            log.info("Stopping the consumer of {}", routes.keySet());
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        try {
            routes.get(record.topic()).handle(record);
        } catch (SerializationException | IllegalArgumentException e) {
            log.warn("Record at {}-{}@{} sent to {}: {}", record.topic(), record.partition(), record.offset(),
                    Topics.deadLetter(record.topic()), e.getMessage());
            // A failed send throws, so the poll is not committed and the record comes back after a restart.
            deadLetters.send(record, e.getMessage());
        }
    }

    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        deadLetters.close();
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
    }
}
