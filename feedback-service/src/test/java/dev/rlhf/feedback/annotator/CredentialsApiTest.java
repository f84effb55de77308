package dev.rlhf.feedback.annotator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rlhf.feedback.security.LoginThrottle;
import dev.rlhf.feedback.testing.IntegrationTest;
import tools.jackson.databind.JsonNode;

/**
 * Issue 13, "credentials cannot be taken back", over real HTTP against the app on PostgreSQL: token
 * expiry, listing and revoking tokens, disabling accounts, changing passwords, the password policy
 * and login throttling.
 */
class CredentialsApiTest extends IntegrationTest {

    static final String PASSWORD = "correct-horse-staple-42";

    @Autowired
    JdbcClient jdbc;
    @Autowired
    AnnotatorService annotatorService;
    @Autowired
    ApiTokenService tokenService;
    @Autowired
    AccountStatus accountStatus;
    @Autowired
    org.springframework.transaction.support.TransactionOperations tx;

    final HttpClient http = HttpClient.newHttpClient();
    final Logger throttleLog = (Logger) LoggerFactory.getLogger(LoginThrottle.class);
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    /** This test's own client address (X-Forwarded-For), so its failed logins lock nobody else. */
    String address;

    @BeforeEach
    void setUp() {
        logged.start();
        throttleLog.addAppender(logged);
        var r = ThreadLocalRandom.current();
        address = "10." + r.nextInt(1, 255) + "." + r.nextInt(1, 255) + "." + r.nextInt(1, 255);
    }

    @AfterEach
    void detachLog() {
        throttleLog.detachAppender(logged);
    }

    @Test
    void tokensExpireAfterTheDefaultOrTheirOwnLifetime() throws Exception {
        String alice = account("expiry");
        var standard = send("POST", "/api/v1/tokens", basic(alice, PASSWORD), Map.of("name", "ci"));
        assertThat(standard.statusCode()).as(standard.body()).isEqualTo(201);
        JsonNode created = json.readTree(standard.body());
        assertThat(created.path("id").asString()).matches("[0-9a-f-]{36}");
        assertThat(Instant.parse(created.path("expiresAt").asString()))
                .isBetween(Instant.now().plus(Duration.ofDays(90)).minusSeconds(120), Instant.now().plus(Duration.ofDays(90)).plusSeconds(120));

        var shortLived = json.readTree(send("POST", "/api/v1/tokens", basic(alice, PASSWORD), Map.of("name", "one day", "expiresInDays", 1)).body());
        assertThat(Instant.parse(shortLived.path("expiresAt").asString()))
                .isBetween(Instant.now().plus(Duration.ofDays(1)).minusSeconds(120), Instant.now().plus(Duration.ofDays(1)).plusSeconds(120));
        assertProblem(send("POST", "/api/v1/tokens", basic(alice, PASSWORD), Map.of("expiresInDays", 0)), 400)
                .contains("expiresInDays must be 1 to 365");
        assertProblem(send("POST", "/api/v1/tokens", basic(alice, PASSWORD), Map.of("expiresInDays", 366)), 400);

        // The day passes (the database's clock is the one that counts): the token stops working.
        String token = shortLived.path("token").asString();
        jdbc.sql("UPDATE api_tokens SET expires_at = ? WHERE id = ?")
                .params(java.time.OffsetDateTime.now().minusMinutes(1), UUID.fromString(shortLived.path("id").asString())).update();
        assertProblem(send("GET", "/api/v1/projects", "Bearer " + token, null), 401).isEqualTo("Unknown, expired or revoked API token");
        assertThat(send("GET", "/api/v1/projects", "Bearer " + created.path("token").asString(), null).statusCode()).isEqualTo(200);

        JsonNode mine = json.readTree(send("GET", "/api/v1/tokens", basic(alice, PASSWORD), null).body());
        assertThat(mine).hasSize(2);
        assertThat(statusOf(mine, shortLived.path("id").asString())).isEqualTo("expired");
        assertThat(statusOf(mine, created.path("id").asString())).isEqualTo("active");
        assertThat(mine.toString()).doesNotContain(token).doesNotContain("rlhf_");
    }

    @Test
    void annotatorsListAndRevokeTheirOwnTokensAndAdminsAnyones() throws Exception {
        String bob = account("bob");
        String carol = account("carol");
        JsonNode bobs = json.readTree(send("POST", "/api/v1/tokens", basic(bob, PASSWORD), Map.of("name", "laptop")).body());
        JsonNode carols = json.readTree(send("POST", "/api/v1/tokens", basic(carol, PASSWORD), Map.of("name", "script")).body());
        String bobsToken = "Bearer " + bobs.path("token").asString();
        String carolsToken = "Bearer " + carols.path("token").asString();

        // Bob sees only his own, cannot list or revoke Carol's.
        JsonNode listed = json.readTree(send("GET", "/api/v1/tokens", bobsToken, null).body());
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("name").asString()).isEqualTo("laptop");
        assertThat(listed.get(0).path("annotator").asString()).isEqualTo(bob);
        assertProblem(send("GET", "/api/v1/tokens?all=true", bobsToken, null), 403);
        // A token cannot mint tokens (a leaked one could otherwise renew itself past its expiry).
        assertProblem(send("POST", "/api/v1/tokens", bobsToken, Map.of("name", "renewed", "expiresInDays", 365)), 403)
                .isEqualTo("create tokens with your password (HTTP Basic) or in the app");
        assertProblem(send("GET", "/api/v1/tokens?annotator=" + carol, bobsToken, null), 403);
        assertProblem(send("DELETE", "/api/v1/tokens/" + carols.path("id").asString(), bobsToken, null), 404);
        assertThat(send("GET", "/api/v1/projects", carolsToken, null).statusCode()).isEqualTo(200);

        // Bob revokes his own: it stops working at once.
        assertThat(send("DELETE", "/api/v1/tokens/" + bobs.path("id").asString(), basic(bob, PASSWORD), null).statusCode()).isEqualTo(204);
        assertProblem(send("GET", "/api/v1/projects", bobsToken, null), 401);
        assertThat(statusOf(json.readTree(send("GET", "/api/v1/tokens", basic(bob, PASSWORD), null).body()), bobs.path("id").asString()))
                .isEqualTo("revoked");

        // The admin lists Carol's (by name) and everyone's, and revokes hers.
        String admin = basic(ADMIN, ADMIN_PASSWORD);
        JsonNode hers = json.readTree(send("GET", "/api/v1/tokens?annotator=" + carol, admin, null).body());
        assertThat(hers).hasSize(1);
        JsonNode all = json.readTree(send("GET", "/api/v1/tokens?all=true", admin, null).body());
        assertThat(all.findValuesAsString("annotator")).contains(bob, carol);
        assertThat(send("DELETE", "/api/v1/tokens/" + carols.path("id").asString(), admin, null).statusCode()).isEqualTo(204);
        assertProblem(send("GET", "/api/v1/projects", carolsToken, null), 401);
        assertProblem(send("DELETE", "/api/v1/tokens/" + UUID.randomUUID(), admin, null), 404);
    }

    @Test
    void aDisabledAccountCannotLogInAndItsTokensStopWorking() throws Exception {
        String dave = account("dave");
        String token = "Bearer " + json.readTree(send("POST", "/api/v1/tokens", basic(dave, PASSWORD), Map.of("name", "t")).body())
                .path("token").asString();
        assertThat(send("GET", "/api/v1/projects", token, null).statusCode()).isEqualTo(200);

        String admin = basic(ADMIN, ADMIN_PASSWORD);
        var disabled = send("PATCH", "/api/v1/annotators/" + dave, admin, Map.of("disabled", true));
        assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(200);
        assertThat(json.readTree(disabled.body()).path("disabled").asBoolean()).isTrue();

        assertProblem(send("GET", "/api/v1/projects", basic(dave, PASSWORD), null), 401).isEqualTo("This account is disabled");
        assertProblem(send("GET", "/api/v1/projects", token, null), 401).isEqualTo("Unknown, expired or revoked API token");
        // A wrong password still says only that: nobody learns the account is disabled without its password.
        assertProblem(send("GET", "/api/v1/projects", basic(dave, "not-the-password-1"), null), 401).isEqualTo("Bad username or password");
        JsonNode accounts = json.readTree(send("GET", "/api/v1/annotators", admin, null).body());
        assertThat(accounts.findParents("username").stream().filter(a -> a.path("username").asString().equals(dave))
                .findFirst().orElseThrow().path("disabled").asBoolean()).isTrue();

        // Enabled again: the password works, the revoked token stays revoked.
        assertThat(send("PATCH", "/api/v1/annotators/" + dave, admin, Map.of("disabled", false)).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/projects", basic(dave, PASSWORD), null).statusCode()).isEqualTo(200);
        assertProblem(send("GET", "/api/v1/projects", token, null), 401);

        assertProblem(send("PATCH", "/api/v1/annotators/" + ADMIN, admin, Map.of("disabled", true)), 409)
                .isEqualTo("You cannot disable your own account");
        // A refused change changes nothing: not the password that came with it either (nor its tokens).
        String adminsToken = "Bearer " + json.readTree(send("POST", "/api/v1/tokens", admin, Map.of("name", "t")).body())
                .path("token").asString();
        assertProblem(send("PATCH", "/api/v1/annotators/" + ADMIN, admin, Map.of("password", "a-new-admin-phrase-8", "disabled", true)), 409)
                .isEqualTo("You cannot disable your own account");
        assertThat(send("GET", "/api/v1/projects", admin, null).statusCode()).as("the password is unchanged").isEqualTo(200);
        assertThat(send("GET", "/api/v1/projects", adminsToken, null).statusCode()).as("the tokens still work").isEqualTo(200);
        assertProblem(send("PATCH", "/api/v1/annotators/" + dave, basic(dave, PASSWORD), Map.of("disabled", true)), 403);
    }

    @Test
    void passwordChangesNeedTheCurrentPasswordAndRevokeTokens() throws Exception {
        String erin = account("erin");
        String token = "Bearer " + json.readTree(send("POST", "/api/v1/tokens", basic(erin, PASSWORD), Map.of("name", "t")).body())
                .path("token").asString();
        String path = "/api/v1/annotators/me/password";
        // A leaked token is not enough to change the password.
        assertProblem(send("POST", path, token, Map.of("currentPassword", "guessed-password-9", "newPassword", "another-long-phrase-7")), 400)
                .isEqualTo("currentPassword is not your current password");
        assertProblem(send("POST", path, basic(erin, PASSWORD), Map.of("currentPassword", PASSWORD, "newPassword", "short")), 400)
                .isEqualTo("password must have at least 12 characters");
        assertThat(send("POST", path, basic(erin, PASSWORD), Map.of("currentPassword", PASSWORD, "newPassword", "another-long-phrase-7"))
                .statusCode()).isEqualTo(204);

        assertProblem(send("GET", "/api/v1/projects", basic(erin, PASSWORD), null), 401);
        assertThat(send("GET", "/api/v1/projects", basic(erin, "another-long-phrase-7"), null).statusCode()).isEqualTo(200);
        assertProblem(send("GET", "/api/v1/projects", token, null), 401);

        // An admin sets it without knowing it; the policy applies too.
        String admin = basic(ADMIN, ADMIN_PASSWORD);
        assertProblem(send("PATCH", "/api/v1/annotators/" + erin, admin, Map.of("password", erin + "-2024")), 400)
                .isEqualTo("password must not contain the username");
        assertThat(send("PATCH", "/api/v1/annotators/" + erin, admin, Map.of("password", "set-by-the-admin-3")).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/projects", basic(erin, "set-by-the-admin-3"), null).statusCode()).isEqualTo(200);
    }

    @Test
    void newAccountsMeetThePasswordPolicy() throws Exception {
        String admin = basic(ADMIN, ADMIN_PASSWORD);
        String name = "policy-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> refused = Map.of(
                "        ", "password must not be only whitespace",
                "eight-ch", "password must have at least 12 characters",
                name, "password must not contain the username",
                "xx" + name.toUpperCase() + "xx", "password must not contain the username",
                "Password2024!", "password is too common",
                "qwertyuiop123", "password is too common",
                "aaaaaaaaaaaaaaaa", "password must not be one character repeated");
        for (var bad : refused.entrySet()) {
            var reply = send("POST", "/api/v1/annotators", admin, Map.of("username", name, "password", bad.getKey()));
            assertProblem(reply, 400).as("password '%s'", bad.getKey()).startsWith(bad.getValue());
        }
        assertThat(send("POST", "/api/v1/annotators", admin, Map.of("username", name, "password", "x".repeat(73))).statusCode())
                .isEqualTo(400);
        assertThat(send("POST", "/api/v1/annotators", admin, Map.of("username", name, "password", "tangerine-bicycle-88")).statusCode())
                .isEqualTo(201);
    }

    @Test
    void anAccountIsLockedAfterFiveWrongPasswordsWithOneWarning() throws Exception {
        String frank = account("frank");
        for (int i = 0; i < 5; i++) {
            assertProblem(send("GET", "/api/v1/projects", basic(frank, "wrong-password-" + i), null), 401);
        }
        // Locked: even the right password is refused without being checked, with a time to wait.
        var locked = send("GET", "/api/v1/projects", basic(frank, PASSWORD), null);
        assertProblem(locked, 429).startsWith("Too many failed logins for this account; try again in");
        long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        assertThat(send("GET", "/api/v1/projects", basic(frank, PASSWORD), null).statusCode()).isEqualTo(429);

        List<ILoggingEvent> warnings = logged.list.stream().filter(e -> e.getFormattedMessage().contains("'" + frank + "'")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.getFirst().getLevel()).isEqualTo(Level.WARN);
        assertThat(warnings.getFirst().getFormattedMessage())
                .isEqualTo("Login throttled: account '" + frank + "' locked for 60 s after 5 failed logins (last from " + address + ")");
    }

    @Test
    void theAccountAndTokenMemoryIsClearedWhenAChangeCommitsNotBefore() throws Exception {
        String hank = account("hank");
        String secret = json.readTree(send("POST", "/api/v1/tokens", basic(hank, PASSWORD), Map.of("name", "t")).body())
                .path("token").asString();
        Annotator before = annotatorService.byUsername(hank);
        tx.executeWithoutResult(status -> {
            annotatorService.setPassword(before.id(), "hanks-new-phrase-6", ADMIN);
            // Another request meanwhile still reads the committed, old row, and remembers it.
            try {
                var meanwhile = java.util.concurrent.CompletableFuture.supplyAsync(() -> List.of(
                        accountStatus.isCurrent(before.id(), before.credentialsVersion()),
                        tokenService.accountOf(secret).isPresent())).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(meanwhile).containsExactly(true, true);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(accountStatus.isCurrent(before.id(), before.credentialsVersion())).as("sessions end once it commits").isFalse();
        assertThat(tokenService.accountOf(secret)).as("the token stops once it commits").isEmpty();
        assertProblem(send("GET", "/api/v1/projects", "Bearer " + secret, null), 401);
    }

    @Test
    void guessingTheCurrentPasswordWithATokenIsThrottledAsLoginsAre() throws Exception {
        String ivy = account("ivy");
        String token = "Bearer " + json.readTree(send("POST", "/api/v1/tokens", basic(ivy, PASSWORD), Map.of("name", "t")).body())
                .path("token").asString();
        String path = "/api/v1/annotators/me/password";
        for (int i = 0; i < 5; i++) {
            assertProblem(send("POST", path, token, Map.of("currentPassword", "guess-number-" + i, "newPassword", "another-long-phrase-7")), 400)
                    .isEqualTo("currentPassword is not your current password");
        }
        assertProblem(send("POST", path, token, Map.of("currentPassword", PASSWORD, "newPassword", "another-long-phrase-7")), 429)
                .startsWith("Too many failed logins for this account");
        assertThat(send("GET", "/api/v1/projects", basic(ivy, PASSWORD), null).statusCode()).as("the password is unchanged, and locked")
                .isEqualTo(429);
    }

    @Test
    void anAddressIsLockedAfterTwentyWrongLoginsAcrossAccounts() throws Exception {
        String grace = account("grace");
        for (int i = 0; i < 20; i++) {
            assertProblem(send("GET", "/api/v1/projects", basic("nobody-" + i, "wrong-password-" + i), null), 401);
        }
        assertProblem(send("GET", "/api/v1/projects", basic(grace, PASSWORD), null), 429)
                .startsWith("Too many failed logins from your address");
        assertThat(logged.list.stream().filter(e -> e.getFormattedMessage().contains("address " + address + " locked"))).hasSize(1);
        // The same account from elsewhere is not locked.
        address = "10.254.254.254";
        assertThat(send("GET", "/api/v1/projects", basic(grace, PASSWORD), null).statusCode()).isEqualTo(200);
    }

    private String account(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        var reply = admin().postJson("/api/v1/annotators", Map.of("username", name, "password", PASSWORD, "roles", List.of("ANNOTATOR")));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return name;
    }

    private static String statusOf(JsonNode tokens, String id) {
        for (JsonNode t : tokens) {
            if (t.path("id").asString().equals(id)) {
                return t.path("status").asString();
            }
        }
        throw new AssertionError("no token " + id + " in " + tokens);
    }

    private HttpResponse<String> send(String method, String path, String authorization, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", authorization).header("X-Forwarded-For", address)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private org.assertj.core.api.AbstractStringAssert<?> assertProblem(HttpResponse<String> reply, int status) {
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = json.readTree(reply.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        return assertThat(problem.path("detail").asString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
