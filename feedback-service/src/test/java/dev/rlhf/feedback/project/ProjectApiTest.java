package dev.rlhf.feedback.project;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.testing.IntegrationTest;

class ProjectApiTest extends IntegrationTest {

    @Test
    void adminCreatesProjectsAndAccountsAndAnnotatorsCannot() {
        // Integration tests share one database: names are unique per run.
        String name = "stories-" + java.util.UUID.randomUUID();
        String annotator = "alice-" + Long.toHexString(System.nanoTime());
        var created = admin().postJson("/api/v1/projects", Map.of("name", name, "guidelines", "Prefer coherent stories.",
                "responsesPerTask", 4, "annotatorsPerTask", 3));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("responsesPerTask").asInt()).isEqualTo(4);
        assertThat(created.json().path("leaseSeconds").asInt()).isEqualTo(Project.DEFAULT_LEASE_SECONDS);

        assertThat(admin().postJson("/api/v1/projects", Map.of("name", name)).status()).isEqualTo(409);
        var bad = admin().postJson("/api/v1/projects", Map.of("name", "k1", "responsesPerTask", 1));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("detail").asString()).contains("responsesPerTask must be between 2 and 16");

        var account = admin().postJson("/api/v1/annotators", Map.of("username", annotator, "password", "alice-password", "roles", List.of("ANNOTATOR"),
                "projects", List.of(created.json().path("id").asString())));
        assertThat(account.status()).isEqualTo(201);
        assertThat(account.body()).doesNotContain("password");

        var alice = api(annotator, "alice-password");
        assertThat(alice.get("/api/v1/projects").json().valueStream().map(p -> p.path("name").asString()))
                .as("a member sees the project").contains(name);
        assertThat(alice.postJson("/api/v1/projects", Map.of("name", "mine")).status()).isEqualTo(403);
        assertThat(alice.postJson("/api/v1/annotators", Map.of("username", "mallory", "password", "12345678")).status()).isEqualTo(403);
        assertThat(api(annotator, "wrong-password").get("/api/v1/projects").status()).isEqualTo(401);
    }

    @Test
    void bearerTokensActAsTheirOwner() {
        var token = admin().postJson("/api/v1/tokens", Map.of("name", "script")).json().path("token").asString();
        assertThat(token).startsWith("rlhf_");
        var response = java.net.http.HttpClient.newHttpClient();
        try {
            var ok = response.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + "/api/v1/projects"))
                    .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            var bad = response.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + "/api/v1/projects"))
                    .header("Authorization", "Bearer rlhf_nonsense").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(401);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
