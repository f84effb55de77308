package dev.rlhf.feedback.platform.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

import dev.rlhf.schemas.kafka.Topics;

/**
 * Sends a record a consumer cannot process, bytes and headers untouched, to {@code <topic>.DLT}
 * with an {@value #ERROR_HEADER} header saying why; waits for the broker's ack so the caller may
 * then commit the original offset.
 */
@Component
public class DeadLetterPublisher implements DisposableBean {

    public static final String ERROR_HEADER = "rlhf.error";

    private final KafkaProducer<byte[], byte[]> producer;

    public DeadLetterPublisher(KafkaProperties properties) {
        Map<String, Object> config = properties.buildProducerProperties();
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public void publish(ConsumerRecord<?, ?> original, byte[] key, byte[] value, String error) throws Exception {
        var dead = new ProducerRecord<>(Topics.deadLetter(original.topic()), null, key, value, original.headers());
        dead.headers().add(ERROR_HEADER, String.valueOf(error).getBytes(StandardCharsets.UTF_8));
        producer.send(dead).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void destroy() {
        producer.close(Duration.ofSeconds(5));
    }
}
