package dev.rlhf.trainer.serve;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;

/**
 * Consumes {@code RankingSubmitted} events in a consumer group and hands each decoded event to a
 * handler; the offset is committed only after the handler returns, so a crash re-delivers rather
 * than loses. A record that cannot be decoded goes, bytes and headers untouched, to the topic's
 * dead-letter topic with an {@value #ERROR_HEADER} header, and consumption carries on.
 */
public final class RankingStream implements AutoCloseable {

    /** Header on dead-lettered records: why the record could not be processed. */
    public static final String ERROR_HEADER = "rlhf.error";

    private static final Logger log = LoggerFactory.getLogger(RankingStream.class);

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> deadLetters;
    private final AvroEventDeserializer<RankingSubmitted> decoder = new AvroEventDeserializer<>(RankingSubmitted.class);

    public RankingStream(String bootstrapServers, String groupId, String topic) {
        this.topic = topic;
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.deadLetters = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Polls until {@link #wakeup()} is called from another thread (e.g. a shutdown hook). */
    public void run(Consumer<RankingSubmitted> handler) {
        consumer.subscribe(List.of(topic));
        try {
            while (true) {
                var records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> record : records) {
                    handle(record, handler);
                }
                if (!records.isEmpty()) {
                    deadLetters.flush();
                    consumer.commitSync();
                }
            }
        } catch (WakeupException stopping) {
            log.info("Stopping the ranking consumer");
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record, Consumer<RankingSubmitted> handler) {
        RankingSubmitted event;
        try {
            event = decoder.deserialize(record.topic(), record.headers(), record.value());
        } catch (SerializationException e) {
            String dlt = Topics.deadLetter(record.topic());
            log.warn("Undecodable record at {}-{}@{} sent to {}: {}", record.topic(), record.partition(), record.offset(), dlt, e.getMessage());
            var dead = new ProducerRecord<>(dlt, null, record.key(), record.value(), record.headers());
            dead.headers().add(ERROR_HEADER, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
            try {
                deadLetters.send(dead).get(30, TimeUnit.SECONDS);
            } catch (Exception sendFailure) {
                // Not committing is the safe choice: the record comes back after a restart.
                throw new IllegalStateException("Cannot write to the dead-letter topic " + dlt, sendFailure);
            }
            return;
        }
        handler.accept(event);
    }

    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        deadLetters.close(Duration.ofSeconds(10));
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
    }

    /** How many comparisons (ordered pairs across tie groups) one ranking yields. */
    public static int comparisons(RankingSubmitted ranking) {
        int pairs = 0;
        int before = 0;
        for (List<String> group : ranking.getRanking()) {
            pairs += before * group.size();
            before += group.size();
        }
        return pairs;
    }
}
