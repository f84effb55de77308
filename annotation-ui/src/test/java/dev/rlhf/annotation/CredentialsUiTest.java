package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.rlhf.annotation.security.UiSecurityConfiguration;
import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.testing.TestInfrastructure;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 13 on the whole app over real HTTP (PostgreSQL, the in-process broker): the login form needs
 * its CSRF token, a throttled login says how long to wait, a disabled account's or changed password's
 * session ends, health details are for admins, and UI pages carry the Content-Security-Policy.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.file.name=target/test-logs/annotation-app.log")
class CredentialsUiTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();
    static final String PASSWORD = "annotator-password";
    /** A redirect to the login page (the container may add the new session's id to it). */
    static final String TO_LOGIN = ".*/login(;jsessionid=[^?]*)?";
    static final Pattern META = Pattern.compile("<meta name=\"(_csrf(?:_parameter)?)\" content=\"([^\"]+)\"");

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    AnnotatorService annotators;

    final JsonMapper json = JsonMapper.builder().build();
    /** No cookie jar and no redirects: each test carries its session cookie itself. */
    final HttpClient http = HttpClient.newHttpClient();
    String address;

    @BeforeEach
    void ownAddress() {
        var r = ThreadLocalRandom.current();
        address = "10." + r.nextInt(1, 255) + "." + r.nextInt(1, 255) + "." + r.nextInt(1, 255);
    }

    @Test
    void aLoginPostWithoutTheCsrfTokenDoesNotLogIn() throws Exception {
        String name = account("csrf");
        // What a hostile page's auto-submitted form sends: the right credentials, no token of the victim's session.
        var forged = post("/login", null, Map.of("username", name, "password", PASSWORD));
        // Refused (403, which the UI answers with its login page), never the redirect into the app of a login.
        assertThat(forged.statusCode()).isIn(302, 403);
        assertThat(forged.headers().firstValue("Location")).satisfiesAnyOf(
                l -> assertThat(l).isEmpty(), l -> assertThat(l.orElseThrow()).matches(TO_LOGIN));
        String forgedSession = cookie(forged);
        if (forgedSession != null) {
            assertThat(get("/", forgedSession).statusCode()).as("not logged in").isEqualTo(302);
        }

        // The login page's own form, with its session and token, logs in.
        String session = logIn(name, PASSWORD);
        assertThat(get("/", session).statusCode()).isEqualTo(200);
    }

    @Test
    void aThrottledLoginSaysHowLongToWait() throws Exception {
        String name = account("slow");
        for (int i = 0; i < 5; i++) {
            var wrong = loginAttempt(name, "wrong-password-" + i);
            assertThat(wrong.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login?error"));
        }
        var locked = loginAttempt(name, PASSWORD);
        assertThat(locked.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).matches(".*/login\\?locked=\\d+"));
    }

    @Test
    void disablingAnAccountOrChangingItsPasswordEndsItsSessions() throws Exception {
        String name = account("session");
        Annotator account = annotators.byUsername(name);
        Annotator admin = annotators.byUsername(TestInfrastructure.ADMIN);
        String session = logIn(name, PASSWORD);
        assertThat(get("/", session).statusCode()).isEqualTo(200);

        annotators.setDisabled(account.id(), true, admin);
        var after = get("/", session);
        assertThat(after.statusCode()).isEqualTo(302);
        assertThat(after.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).matches(TO_LOGIN));
        assertThat(loginAttempt(name, PASSWORD).headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login?error"));

        annotators.setDisabled(account.id(), false, admin);
        String second = logIn(name, PASSWORD);
        assertThat(get("/", second).statusCode()).isEqualTo(200);
        annotators.setPassword(account.id(), "brand-new-phrase-5", TestInfrastructure.ADMIN);
        assertThat(get("/", second).statusCode()).isEqualTo(302);
        assertThat(get("/", logIn(name, "brand-new-phrase-5")).statusCode()).isEqualTo(200);
    }

    @Test
    void healthShowsOnlyItsStatusToAnyoneButAdmins() throws Exception {
        JsonNode anonymous = json.readTree(get("/actuator/health", null).body());
        assertThat(anonymous.path("status").asString()).isEqualTo("UP");
        assertThat(anonymous.has("components")).isFalse();
        assertThat(anonymous.toString()).doesNotContain("diskSpace").doesNotContain("clusterId");

        String annotator = account("health");
        JsonNode notAdmin = json.readTree(http.send(request("/actuator/health").header("Authorization", basic(annotator, PASSWORD)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(notAdmin.has("components")).isFalse();

        JsonNode admin = json.readTree(http.send(request("/actuator/health")
                .header("Authorization", basic(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(admin.path("components").path("db").path("status").asString()).isEqualTo("UP");
        assertThat(admin.path("components").path("diskSpace").path("details").has("path")).isTrue();
        assertThat(admin.path("components").path("kafka").path("details").path("embedded").asBoolean()).isTrue();
    }

    @Test
    void uiPagesCarryTheContentSecurityPolicy() throws Exception {
        var login = get("/login", null);
        assertThat(login.headers().firstValue("Content-Security-Policy")).contains(UiSecurityConfiguration.CONTENT_SECURITY_POLICY);
        assertThat(UiSecurityConfiguration.CONTENT_SECURITY_POLICY).contains("img-src 'self' data: blob:;");
    }

    private String account(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        annotators.create(name, PASSWORD, java.util.Set.of(Annotator.Role.ANNOTATOR));
        return name;
    }

    /** Logs in through the login page's form as a browser does; returns the logged-in session cookie. */
    private String logIn(String username, String password) throws Exception {
        var reply = loginAttempt(username, password);
        assertThat(reply.statusCode()).isEqualTo(302);
        assertThat(reply.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).doesNotContain("/login"));
        return cookie(reply);
    }

    /** GET /login for a session and its token, then POST the form with both. */
    private HttpResponse<String> loginAttempt(String username, String password) throws Exception {
        var page = get("/login", null);
        String session = cookie(page);
        Map<String, String> meta = new java.util.HashMap<>();
        Matcher m = META.matcher(page.body());
        while (m.find()) {
            meta.put(m.group(1), m.group(2));
        }
        assertThat(meta).as("the login page carries its CSRF token for the form").containsKeys("_csrf", "_csrf_parameter");
        // A successful login answers with a new session id (session fixation protection) in Set-Cookie.
        return post("/login", session, Map.of("username", username, "password", password, meta.get("_csrf_parameter"), meta.get("_csrf")));
    }

    private HttpResponse<String> get(String path, String session) throws Exception {
        HttpRequest.Builder request = request(path).GET();
        if (session != null) {
            request.header("Cookie", session);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String session, Map<String, String> form) throws Exception {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder request = request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("Cookie", session);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("X-Forwarded-For", address);
    }

    /** The JSESSIONID the reply sets, as a Cookie header value; null when it sets none. */
    private static String cookie(HttpResponse<String> reply) {
        return reply.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID="))
                .map(c -> c.substring(0, c.indexOf(';') < 0 ? c.length() : c.indexOf(';'))).findFirst().orElse(null);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
