package dev.rlhf.feedback.task;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.rlhf.feedback.testing.TestApi;
import tools.jackson.databind.json.JsonMapper;

/**
 * A REST client authenticated with an API token, as scripts and load generators are: HTTP Basic
 * costs a bcrypt check per request, which would make a many-client test measure bcrypt.
 */
public final class BearerApi {

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String authorization;
    private final JsonMapper json;

    public BearerApi(String base, String token, JsonMapper json) {
        this.base = base;
        this.authorization = "Bearer " + token;
        this.json = json;
    }

    public TestApi.Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    public TestApi.Reply postJson(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))));
    }

    private TestApi.Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
            return new TestApi.Reply(response.statusCode(), response.body(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
