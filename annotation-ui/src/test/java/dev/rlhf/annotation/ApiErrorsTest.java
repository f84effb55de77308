package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.api.ApiProblems;
import dev.rlhf.feedback.testing.TestInfrastructure;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 13: errors under {@code /api/} are RFC 9457 problem documents with their real status, over
 * real HTTP against the whole app (UI security chain and Vaadin included, PostgreSQL, the in-process
 * broker): never a redirect to the UI's login, never the UI's page.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.file.name=target/test-logs/annotation-app.log", "rlhf.imports.max-body-bytes=1000"})
@Import(ApiErrorsTest.FaultOutsideTheApiControllers.class)
class ApiErrorsTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();
    static final String PROBLEM_JSON = "application/problem+json";

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    /** A controller outside feedback-service's advice, so its fault reaches the servlet filter. */
    @RestController
    static class FaultOutsideTheApiControllers {
        @GetMapping("/api/v1/test-only/fault")
        String fault() {
            throw new IllegalStateException("forced fault outside the API's controllers");
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    AnnotatorService annotators;
    @Autowired
    ApiTokenService tokens;
    @Autowired
    JdbcClient jdbc;

    final JsonMapper json = JsonMapper.builder().build();
    final HttpClient http = HttpClient.newHttpClient();
    final Logger problemsLog = (Logger) LoggerFactory.getLogger(ApiProblems.class);
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    final String admin = basic(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);

    @BeforeEach
    void captureLog() {
        logged.start();
        problemsLog.addAppender(logged);
    }

    @AfterEach
    void detachLog() {
        problemsLog.detachAppender(logged);
    }

    @Test
    void noCredentialsIs401WithAChallengeForBasicAndBearer() throws Exception {
        var reply = send(request("/api/v1/projects").GET());
        assertProblem(reply, 401).contains("Authentication required");
        assertThat(reply.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(c -> assertThat(c).contains("Basic").contains("Bearer"));
        // Unknown paths too: who may not log in learns nothing about which paths exist.
        assertProblem(send(request("/api/v1/nothing").GET()), 401);
    }

    @Test
    void badBasicPasswordIs401() throws Exception {
        var reply = send(request("/api/v1/projects").header("Authorization", basic(TestInfrastructure.ADMIN, "wrong")).GET());
        assertProblem(reply, 401).isEqualTo("Bad username or password");
        assertThat(reply.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(c -> assertThat(c).contains("Basic"));
    }

    @Test
    void unknownAndRevokedBearerTokensAre401NotARedirect() throws Exception {
        var unknown = send(request("/api/v1/projects").header("Authorization", "Bearer rlhf_not-a-token").GET());
        assertProblem(unknown, 401).isEqualTo("Unknown, expired or revoked API token");
        assertThat(unknown.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(c -> assertThat(c).contains("Bearer").contains("invalid_token"));

        var account = annotators.create("revoked-" + UUID.randomUUID().toString().substring(0, 8), "long-enough-password", null);
        String token = tokens.create(account.id(), "soon revoked");
        assertThat(send(request("/api/v1/projects").header("Authorization", "Bearer " + token).GET()).statusCode()).isEqualTo(200);
        tokens.revoke(account.id(), tokens.list(account.id()).getFirst().id());
        var revoked = send(request("/api/v1/projects").header("Authorization", "Bearer " + token).GET());
        assertProblem(revoked, 401).isEqualTo("Unknown, expired or revoked API token");
        assertThat(revoked.headers().firstValue("Location")).isEmpty();
    }

    @Test
    void anAnnotatorCreatingAnAccountIs403() throws Exception {
        String name = "annotator-" + UUID.randomUUID().toString().substring(0, 8);
        annotators.create(name, "long-enough-password", null);
        var reply = send(request("/api/v1/annotators").header("Authorization", basic(name, "long-enough-password"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\": \"x-" + name + "\", \"password\": \"long-enough-password\"}")));
        assertProblem(reply, 403).contains("POST /api/v1/annotators");
        // Refused by method security inside a controller: the same kind of answer.
        var project = send(request("/api/v1/projects").header("Authorization", basic(name, "long-enough-password"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"not mine\"}")));
        assertProblem(project, 403);
    }

    @Test
    void unknownApiPathIs404ProblemNotTheUiPage() throws Exception {
        var reply = send(request("/api/v1/nothing").header("Authorization", admin).GET());
        assertProblem(reply, 404).isEqualTo("No API endpoint GET /api/v1/nothing");
        assertThat(reply.body()).doesNotContain("<html");
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        var reply = send(request("/api/v1/projects").header("Authorization", admin).DELETE());
        assertProblem(reply, 405);
        assertThat(reply.headers().firstValue("Allow")).hasValueSatisfying(a -> assertThat(a).contains("GET").contains("POST"));
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        var reply = send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("name=x")));
        assertProblem(reply, 415).contains("text/plain");
    }

    @Test
    void duplicateProjectIs409AndOversizedImportIs413() throws Exception {
        String name = "errors " + UUID.randomUUID();
        String body = json.writeValueAsString(java.util.Map.of("name", name));
        var created = send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(created.statusCode()).isEqualTo(201);
        assertProblem(send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))), 409).contains("already exists");

        String projectId = json.readTree(created.body()).path("id").asString();
        String ndjson = "{\"prompt\": \"" + "x".repeat(1_200) + "\"}\n"; // over this test's 1,000-byte limit
        var tooLarge = send(request("/api/v1/projects/" + projectId + "/items?format=prompts").header("Authorization", admin)
                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(ndjson)));
        assertProblem(tooLarge, 413);
    }

    @Test
    void oversizedJsonBodiesAre413AndUnstorableTextIs400NamingTheField() throws Exception {
        String huge = "{\"name\": \"big\", \"junk\": \"" + "j".repeat(2_000_000) + "\"}";
        assertProblem(send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(huge))), 413).contains("exceeds the limit of 1048576 bytes (rlhf.api.max-body-bytes)");
        byte[] bytes = huge.getBytes(StandardCharsets.UTF_8);
        assertProblem(send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)))), 413)
                .as("chunked, without a Content-Length").contains("rlhf.api.max-body-bytes");

        var nul = send(request("/api/v1/projects").header("Authorization", admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\\u0000b\"}")));
        assertProblem(nul, 400).startsWith("name contains a NUL character");
        assertThat(json.readTree(nul.body()).path("field").asString()).isEqualTo("name");
    }

    @Test
    void aFaultInAnApiControllerIs500WithTheErrorIdOfItsLogLine() throws Exception {
        // A real fault in a real endpoint: its table is gone for a moment.
        String schema = INFRASTRUCTURE.schema();
        jdbc.sql("ALTER TABLE " + schema + ".projects RENAME TO projects_away").update();
        HttpResponse<String> reply;
        try {
            reply = send(request("/api/v1/projects").header("Authorization", admin).GET());
        } finally {
            jdbc.sql("ALTER TABLE " + schema + ".projects_away RENAME TO projects").update();
        }
        assertServerErrorLogged(reply, "bad SQL grammar");
    }

    @Test
    void aFaultOutsideTheAdvisedControllersIs500WithTheErrorIdOfItsLogLine() throws Exception {
        var reply = send(request("/api/v1/test-only/fault").header("Authorization", admin).GET());
        assertServerErrorLogged(reply, "forced fault outside the API's controllers");
    }

    @Test
    void uiPathsStillGoToTheLoginPage() throws Exception {
        var reply = send(request("/status").GET());
        assertThat(reply.statusCode()).isEqualTo(302);
        assertThat(reply.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
    }

    private void assertServerErrorLogged(HttpResponse<String> reply, String faultMentions) {
        assertProblem(reply, 500).contains("error id");
        String errorId = json.readTree(reply.body()).path(ApiProblems.ERROR_ID).asString();
        assertThat(errorId).matches("[0-9a-f-]{36}");
        assertThat(reply.body()).doesNotContain(faultMentions); // the fault's details stay in the log
        List<ILoggingEvent> lines = logged.list.stream().filter(e -> e.getFormattedMessage().contains(errorId)).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst().getLevel()).isEqualTo(Level.ERROR);
        assertThat(lines.getFirst().getFormattedMessage()).contains(faultMentions);
        assertThat(lines.getFirst().getThrowableProxy()).isNotNull();
    }

    private org.assertj.core.api.AbstractStringAssert<?> assertProblem(HttpResponse<String> reply, int status) {
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith(PROBLEM_JSON));
        JsonNode problem = json.readTree(reply.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asString()).isNotBlank();
        return assertThat(problem.path("detail").asString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
