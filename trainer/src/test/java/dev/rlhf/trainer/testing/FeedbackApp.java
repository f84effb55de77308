package dev.rlhf.trainer.testing;

import java.net.URI;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.rlhf.feedback.FeedbackTestApplication;
import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.feedback.testing.TestPostgres;

/**
 * The feedback service running inside a trainer test, as the annotation app runs it: REST API on a
 * free port, the real PostgreSQL (a fresh schema) and its in-process Kafka broker on free ports.
 * The admin account is {@link TestInfrastructure#ADMIN} / {@link TestInfrastructure#ADMIN_PASSWORD}.
 */
public final class FeedbackApp implements AutoCloseable {

    private final TestInfrastructure infrastructure;
    private final ConfigurableApplicationContext context;
    private final URI url;

    private FeedbackApp(TestInfrastructure infrastructure, ConfigurableApplicationContext context) {
        this.infrastructure = infrastructure;
        this.context = context;
        this.url = URI.create("http://localhost:" + context.getEnvironment().getRequiredProperty("local.server.port"));
    }

    /** Starts the app; {@code logName} names its log file under target/test-logs. */
    public static FeedbackApp start(String logName) {
        TestInfrastructure infrastructure = TestInfrastructure.create();
        // Command-line arguments, not default properties: the app's zero-install defaults rank above
        // those (they would put the broker on 9092) but below arguments.
        String[] args = {
            "--server.port=0",
            "--rlhf.data-dir=" + infrastructure.dataDir(),
            "--rlhf.kafka.port=" + infrastructure.kafkaPort(),
            "--rlhf.kafka.controller-port=" + FreePorts.next(),
            "--spring.datasource.url=" + TestPostgres.url(infrastructure.schema()),
            "--spring.datasource.username=" + TestPostgres.USER,
            "--spring.flyway.schemas=" + infrastructure.schema(),
            "--RLHF_ADMIN_PASSWORD=" + TestInfrastructure.ADMIN_PASSWORD,
            "--logging.file.name=target/test-logs/" + logName + ".log"};
        return new FeedbackApp(infrastructure, new SpringApplicationBuilder(FeedbackTestApplication.class).run(args));
    }

    /** The REST API's base, e.g. {@code http://localhost:41234}. */
    public URI url() {
        return url;
    }

    public String kafkaBootstrapServers() {
        return infrastructure.kafkaBootstrapServers();
    }

    /** The application context, for tests that read the database through its beans. */
    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
