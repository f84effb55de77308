package dev.rlhf.trainer.testing;

import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.feedback.testing.FreePorts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;

/** The in-process Kafka broker of a test class: on free ports, its log under {@code dir}, with the topics the test needs. */
public final class TestBroker {

    private TestBroker() {
    }

    public static EmbeddedKafkaBroker start(Path dir, List<NewTopic> topics) throws Exception {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir, FreePorts.next(), FreePorts.next()).start();
        try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
        return broker;
    }
}
