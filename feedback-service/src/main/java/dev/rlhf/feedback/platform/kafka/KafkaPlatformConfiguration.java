package dev.rlhf.feedback.platform.kafka;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;

import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.schemas.kafka.DeadLetters;
import dev.rlhf.schemas.kafka.Topics;

/** The topics of the pipeline, and the in-process broker when no external Kafka is configured. */
@Configuration(proxyBeanMethods = false)
public class KafkaPlatformConfiguration {

    static final String BROKER_BEAN = "embeddedKafkaBroker";

    @Bean
    KafkaAdmin.NewTopics pipelineTopics(RlhfProperties properties) {
        RlhfProperties.TopicSettings t = properties.topics();
        List<NewTopic> topics = new ArrayList<>();
        for (String name : t.all()) {
            topics.add(TopicBuilder.name(name).partitions(t.partitions()).replicas(t.replicationFactor()).build());
            topics.add(TopicBuilder.name(Topics.deadLetter(name)).partitions(1).replicas(t.replicationFactor()).build());
        }
        return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
    }

    /** The producer of dead letters for the listeners that decode records themselves. */
    @Bean(destroyMethod = "close")
    DeadLetters deadLetters(KafkaProperties properties) {
        return new DeadLetters(properties.buildProducerProperties());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty("rlhf.kafka.embedded")
    static class InProcessBroker {

        /** Started while the context starts; closed after every Kafka client bean is destroyed. */
        @Bean(name = BROKER_BEAN, destroyMethod = "close")
        EmbeddedKafkaBroker embeddedKafkaBroker(RlhfProperties properties) {
            var kafka = properties.kafka();
            return new EmbeddedKafkaBroker(properties.dataDir().resolve("kafka"), kafka.port(), kafka.controllerPort()).start();
        }

        /** Kafka clients depend on the broker, so it starts before them and stops after they flush and close. */
        @Bean
        static BeanFactoryPostProcessor kafkaClientsDependOnBroker() {
            return beanFactory -> {
                for (Class<?> client : List.of(KafkaAdmin.class, ProducerFactory.class, ConsumerFactory.class, KafkaTemplate.class,
                        DeadLetters.class, KafkaHealthIndicator.class)) {
                    for (String name : beanFactory.getBeanNamesForType(client, true, false)) {
                        BeanDefinition definition = beanFactory.getBeanDefinition(name);
                        String[] existing = definition.getDependsOn();
                        List<String> dependsOn = new ArrayList<>(existing == null ? List.of() : List.of(existing));
                        dependsOn.add(BROKER_BEAN);
                        definition.setDependsOn(dependsOn.toArray(String[]::new));
                    }
                }
            };
        }
    }
}
