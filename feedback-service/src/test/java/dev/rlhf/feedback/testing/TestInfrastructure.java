package dev.rlhf.feedback.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points an application context at the test infrastructure: the real PostgreSQL (a schema of its
 * own), an in-process Kafka broker on free ports and a temporary data directory.
 */
public record TestInfrastructure(String schema, int kafkaPort, Path dataDir) {

    public static final String ADMIN = "admin";
    public static final String ADMIN_PASSWORD = "rlhf-test-secret-4821";

    public static TestInfrastructure create() {
        try {
            return new TestInfrastructure(TestPostgres.newSchema(), FreePorts.next(), Files.createTempDirectory("rlhf-it-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void register(DynamicPropertyRegistry registry) {
        registry.add("rlhf.data-dir", dataDir::toString);
        registry.add("rlhf.kafka.port", () -> kafkaPort);
        registry.add("rlhf.kafka.controller-port", FreePorts::next);
        registry.add("spring.datasource.url", () -> TestPostgres.url(schema));
        registry.add("spring.datasource.username", () -> TestPostgres.USER);
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("RLHF_ADMIN_PASSWORD", () -> ADMIN_PASSWORD);
        // As behind a reverse proxy: X-Forwarded-For from localhost names the client's address, so a
        // test can log in from an address of its own (login throttling counts failures per address).
        registry.add("server.forward-headers-strategy", () -> "native");
    }

    public String kafkaBootstrapServers() {
        return "localhost:" + kafkaPort;
    }
}
