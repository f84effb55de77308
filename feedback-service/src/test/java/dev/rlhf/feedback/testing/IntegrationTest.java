package dev.rlhf.feedback.testing;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.rlhf.feedback.FeedbackTestApplication;
import tools.jackson.databind.json.JsonMapper;

/**
 * Base of integration tests: the feedback service on a random HTTP port, against the real
 * PostgreSQL (a fresh schema per test class) and a real Kafka broker (in-process, free ports).
 * The admin account is {@value #ADMIN} / {@value #ADMIN_PASSWORD}.
 */
@SpringBootTest(classes = FeedbackTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.file.name=target/test-logs/feedback.log")
public abstract class IntegrationTest {

    public static final String ADMIN = TestInfrastructure.ADMIN;
    public static final String ADMIN_PASSWORD = TestInfrastructure.ADMIN_PASSWORD;

    private static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @LocalServerPort
    protected int port;

    @Autowired
    protected JsonMapper json;

    /** A client of this app's REST API, logged in with HTTP Basic. */
    protected TestApi api(String username, String password) {
        return new TestApi("http://localhost:" + port, username, password, json);
    }

    protected TestApi admin() {
        return api(ADMIN, ADMIN_PASSWORD);
    }

    protected String kafkaBootstrapServers() {
        return INFRASTRUCTURE.kafkaBootstrapServers();
    }

    /** The schema this test class's tables live in. */
    protected String schema() {
        return INFRASTRUCTURE.schema();
    }
}
