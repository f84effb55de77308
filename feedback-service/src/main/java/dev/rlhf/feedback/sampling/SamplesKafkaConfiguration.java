package dev.rlhf.feedback.sampling;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.DelegatingByTypeSerializer;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.util.backoff.ExponentialBackOff;

import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

/**
 * The consumer of {@code rlhf.samples.v1}. Its own listener container factory (the app's default
 * consumer and producer settings stay untouched): values are read by the shared
 * {@link AvroEventDeserializer} inside an {@link ErrorHandlingDeserializer}, so a record it cannot
 * decode goes, with its original bytes and the error in the {@code rlhf.error} and {@code kafka_dlt-exception-*} headers,
 * to {@code rlhf.samples.v1.DLT} and the consumer carries on. Failures while processing are retried
 * with backoff, then dead-lettered too; bad content (an unknown project or prompt) is not retried.
 */
@Configuration(proxyBeanMethods = false)
public class SamplesKafkaConfiguration {

    public static final String CONTAINER_FACTORY = "samplesListenerContainerFactory";
    public static final String GROUP_ID = "feedback-service";
    static String rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Bean(CONTAINER_FACTORY)
    ConcurrentKafkaListenerContainerFactory<String, SamplesGenerated> samplesListenerContainerFactory(
            ConsumerFactory<?, ?> kafkaConsumerFactory, DeadLetterTemplate deadLetters) {
        Map<String, Object> config = new HashMap<>(kafkaConsumerFactory.getConfigurationProperties());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ErrorHandlingDeserializer.class);
        config.put(ErrorHandlingDeserializer.VALUE_DESERIALIZER_CLASS, AvroEventDeserializer.class);
        config.put(AvroEventDeserializer.VALUE_TYPE_CONFIG, SamplesGenerated.class.getName());

        var factory = new ConcurrentKafkaListenerContainerFactory<String, SamplesGenerated>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(config));
        // DLT topics have one partition: let the producer choose instead of mirroring the source partition.
        var recoverer = new DeadLetterPublishingRecoverer(deadLetters.template(),
                (record, failure) -> new TopicPartition(Topics.deadLetter(record.topic()), -1));
        // Next to Spring's kafka_dlt-exception-* headers: the root cause in one line, what an operator needs first
        // (e.g. "SerializationException: Not an Avro ...").
        recoverer.setHeadersFunction((record, failure) -> new RecordHeaders(new Header[] {DeadLetters.errorHeader(rootCause(failure))}));
        ExponentialBackOff backOff = new ExponentialBackOff(500, 2.0);
        backOff.setMaxInterval(10_000);
        backOff.setMaxElapsedTime(30_000);
        var errorHandler = new DefaultErrorHandler(recoverer, backOff);
        errorHandler.addNotRetryableExceptions(IllegalArgumentException.class);
        factory.setCommonErrorHandler(errorHandler);
        return factory;
    }

    @Bean
    DeadLetterTemplate samplesDeadLetterTemplate(ProducerFactory<?, ?> kafkaProducerFactory) {
        return new DeadLetterTemplate(kafkaProducerFactory.getConfigurationProperties());
    }

    /**
     * The producer of dead letters: raw bytes for records that could not be decoded, Avro for
     * decoded ones that could not be processed. Not a {@code KafkaTemplate} bean, which would
     * replace the application's own.
     */
    public static final class DeadLetterTemplate implements DisposableBean {
        private final DefaultKafkaProducerFactory<Object, Object> producers;
        private final KafkaTemplate<Object, Object> template;

        DeadLetterTemplate(Map<String, Object> appProducerConfig) {
            Map<String, Object> config = DeadLetters.producerConfig(appProducerConfig);
            config.put(ProducerConfig.CLIENT_ID_CONFIG, "rlhf-samples-dlt");
            Map<Class<?>, Serializer<?>> byType = new LinkedHashMap<>();
            byType.put(byte[].class, new ByteArraySerializer());
            byType.put(SpecificRecord.class, new AvroEventSerializer<>());
            byType.put(String.class, new StringSerializer());
            @SuppressWarnings({"unchecked", "rawtypes"})
            Serializer<Object> values = (Serializer) new DelegatingByTypeSerializer(byType, true);
            @SuppressWarnings({"unchecked", "rawtypes"})
            Serializer<Object> keys = (Serializer) new StringSerializer();
            this.producers = new DefaultKafkaProducerFactory<>(config, keys, values);
            this.template = new KafkaTemplate<>(producers);
        }

        KafkaTemplate<Object, Object> template() {
            return template;
        }

        @Override
        public void destroy() {
            producers.destroy();
        }
    }
}
