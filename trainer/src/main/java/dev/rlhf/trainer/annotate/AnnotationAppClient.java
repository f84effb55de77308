package dev.rlhf.trainer.annotate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parts of the annotation app's REST API (CONTRACTS.md) that scripted clients need: accounts
 * and tokens, projects and imports, and an annotator's next task and ranking. One instance speaks
 * as one account, with HTTP Basic or an API bearer token; it is safe to share between threads.
 */
public final class AnnotationAppClient {

    /** Connecting and waiting for an answer; the app answers in milliseconds unless it is down. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final HttpClient http;
    private final URI base;
    private final String authorization;
    private final String principal;

    private AnnotationAppClient(HttpClient http, URI base, String authorization, String principal) {
        this.http = http;
        this.base = base;
        this.authorization = authorization;
        this.principal = principal;
    }

    /** A client that logs in as {@code username} with HTTP Basic (the server checks a bcrypt hash on every call). */
    public static AnnotationAppClient basic(URI base, String username, String password) {
        String credentials = Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new AnnotationAppClient(newHttpClient(), normalise(base), "Basic " + credentials, username);
    }

    /** The same account through an API token: no password hash to check per request, so much cheaper for the server. */
    public AnnotationAppClient withToken(String token) {
        return new AnnotationAppClient(http, base, "Bearer " + token, principal);
    }

    private static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    private static URI normalise(URI base) {
        String s = base.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    public URI baseUri() {
        return base;
    }

    /** Whom this client speaks as. */
    public String principal() {
        return principal;
    }

    // --- wire shapes (fields as the feedback service's controllers write and read them) ---

    public record Account(UUID id, String username, List<String> roles) {
    }

    public record Project(UUID id, String name, String guidelines, int responsesPerTask, int annotatorsPerTask, int leaseSeconds) {
    }

    public record ProjectSettings(String name, String guidelines, Integer responsesPerTask, Integer annotatorsPerTask, Integer leaseSeconds) {
    }

    public record ImportResult(String format, long imported, long skipped, List<LineError> rejected, long rejectedCount, long lines) {
        public record LineError(long line, String error) {
        }
    }

    public record Turn(String role, String content) {
    }

    public record Conversation(List<Turn> turns) {
        /** The turns as the trainer's chat messages. */
        public List<dev.rlhf.trainer.chat.ChatMessage> messages() {
            return turns.stream().map(t -> new dev.rlhf.trainer.chat.ChatMessage(t.role(), t.content())).toList();
        }

        /** The prompt as one text: the plain chat template's rendering (as the app exports it). */
        public String asText() {
            return dev.rlhf.trainer.chat.PlainChatTemplate.INSTANCE.prompt(messages());
        }
    }

    public record NextTask(UUID taskId, UUID projectId, Conversation prompt, String guidelines, List<ShownResponse> responses) {
        public record ShownResponse(UUID id, String text) {
        }
    }

    public record RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                                    Long durationMs) {
    }

    /** A non-2xx answer, with the problem document's {@code detail} when there is one. */
    public static final class ApiError extends RuntimeException {
        private final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    // --- calls ---

    /** {@code POST /api/v1/annotators} (admin). Answers empty when an account of that name already exists (409). */
    public Optional<Account> createAccount(String username, String password, String role) {
        HttpResponse<String> r = send(post("/api/v1/annotators", Map.of("username", username, "password", password, "roles", List.of(role))));
        if (r.statusCode() == 409) {
            return Optional.empty();
        }
        return Optional.of(read(r, 201, Account.class));
    }

    /**
     * {@code POST /api/v1/projects/{id}/members} (admin): makes these accounts members of the project
     * (annotators see and take tasks only of their projects); those already members stay.
     */
    public void addMembers(UUID projectId, List<String> usernames) {
        read(send(post("/api/v1/projects/" + projectId + "/members", Map.of("usernames", usernames))), 200, JsonNode.class);
    }

    /** {@code POST /api/v1/tokens}: a bearer token for this client's own account. */
    public String createToken(String name) {
        return read(send(post("/api/v1/tokens", Map.of("name", name))), 201, JsonNode.class).get("token").asString();
    }

    public List<Project> projects() {
        return List.of(read(send(get("/api/v1/projects")), 200, Project[].class));
    }

    public Optional<Project> projectNamed(String name) {
        return projects().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Project project(UUID id) {
        return read(send(get("/api/v1/projects/" + id)), 200, Project.class);
    }

    /** {@code POST /api/v1/projects} (admin). */
    public Project createProject(ProjectSettings settings) {
        return read(send(post("/api/v1/projects", settings)), 201, Project.class);
    }

    /** {@code POST /api/v1/projects/{id}/items?format=...} (admin) with an NDJSON file as the body. */
    public ImportResult importFile(UUID projectId, String format, Path ndjson) throws IOException {
        HttpRequest.Builder request = request("/api/v1/projects/" + projectId + "/items?format=" + format)
                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofFile(ndjson));
        return read(send(request), 200, ImportResult.class);
    }

    /** {@code GET /api/v1/tasks/next?projectId=...}: the caller's next task, or empty on 204 (none for them now). */
    public Optional<NextTask> nextTask(UUID projectId) {
        HttpResponse<String> r = send(get("/api/v1/tasks/next?projectId=" + projectId));
        if (r.statusCode() == 204) {
            return Optional.empty();
        }
        return Optional.of(read(r, 200, NextTask.class));
    }

    /** {@code POST /api/v1/tasks/{id}/ranking}; throws {@link ApiError} unless the app answers 201 (committed). */
    public void submitRanking(UUID taskId, RankingSubmission submission) {
        read(send(post("/api/v1/tasks/" + taskId + "/ranking", submission)), 201, JsonNode.class);
    }

    // --- plumbing ---

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).header("Authorization", authorization)
                .header("Accept", "application/json");
    }

    private HttpRequest.Builder get(String path) {
        return request(path).GET();
    }

    private HttpRequest.Builder post(String path, Object body) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        try {
            return http.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiError(0, built.method() + " " + built.uri() + ": cannot reach the annotation app (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(0, built.method() + " " + built.uri() + ": interrupted");
        }
    }

    private static <T> T read(HttpResponse<String> r, int expected, Class<T> type) {
        if (r.statusCode() != expected) {
            throw new ApiError(r.statusCode(), r.request().method() + " " + r.request().uri().getPath() + " answered " + r.statusCode()
                    + detail(r.body()));
        }
        try {
            return JSON.readValue(r.body(), type);
        } catch (JacksonException e) {
            throw new ApiError(r.statusCode(), r.request().method() + " " + r.request().uri().getPath() + ": unexpected answer: "
                    + e.getOriginalMessage());
        }
    }

    private static String detail(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode problem = JSON.readTree(body);
            if (problem.hasNonNull("detail")) {
                return ": " + problem.get("detail").asString();
            }
        } catch (JacksonException e) {
            // not a problem document: show the start of whatever it is
        }
        return ": " + (body.length() > 200 ? body.substring(0, 200) + "..." : body);
    }
}
