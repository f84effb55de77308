package dev.rlhf.schemas.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter convention of every consumer in the pipeline: a record that cannot be decoded or
 * processed goes, key, value and headers untouched, to {@code <topic>.DLT} ({@link Topics#deadLetter})
 * with an {@value #ERROR_HEADER} header saying why, and consumption carries on. {@link #send} waits
 * for the broker's ack, so the caller may then commit the original offset.
 */
public final class DeadLetters implements AutoCloseable {

    /** Header on dead-lettered records: why the record could not be processed, in one line. */
    public static final String ERROR_HEADER = "rlhf.error";

    private final KafkaProducer<byte[], byte[]> producer;

    /** @param producerConfig the application's producer settings (bootstrap servers, security); serializers are set here */
    public DeadLetters(Map<String, ?> producerConfig) {
        this.producer = new KafkaProducer<>(producerConfig(producerConfig), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * The settings of a dead-letter producer, for consumers whose framework writes the dead letter
     * itself: the application's producer settings (bootstrap servers, security), without its
     * transactional id, with {@code acks=all} and idempotence. Returns a new map the caller may add to.
     */
    public static Map<String, Object> producerConfig(Map<String, ?> applicationProducerConfig) {
        Map<String, Object> config = new HashMap<>(applicationProducerConfig);
        // A dead letter is written on its own, outside any transaction of the application's producer.
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return config;
    }

    /** The {@value #ERROR_HEADER} header, for consumers whose framework writes the dead letter itself. */
    public static Header errorHeader(String why) {
        return new RecordHeader(ERROR_HEADER, String.valueOf(why).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends {@code original} (key as UTF-8, as {@code StringSerializer} wrote it) to its topic's
     * dead-letter topic and waits for the ack.
     *
     * @throws KafkaException when the dead letter cannot be written: the caller must then not commit
     *                        the original's offset, so the record comes back after a restart
     */
    public void send(ConsumerRecord<String, byte[]> original, String why) {
        String topic = Topics.deadLetter(original.topic());
        byte[] key = original.key() == null ? null : original.key().getBytes(StandardCharsets.UTF_8);
        var dead = new ProducerRecord<>(topic, null, key, original.value(), original.headers());
        dead.headers().add(errorHeader(why));
        try {
            producer.send(dead).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while writing to the dead-letter topic " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("Cannot write to the dead-letter topic " + topic, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
