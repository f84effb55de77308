package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.labeler.KeywordLabeler;
import dev.rlhf.trainer.annotate.AnnotationAppClient;
import dev.rlhf.trainer.annotate.SimulatedAnnotators;
import dev.rlhf.trainer.testing.FeedbackApp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 7, "Done when": the whole loop on the real PostgreSQL and the in-process broker. The
 * annotation back end (feedback service) imports the 40 demo story openings; {@code trainer serve}
 * (a separate JVM, stories260K as v0) answers their sample requests; four simulated annotators rank
 * every task through the REST API with a preference oracle (stories that say "big" more often are better;
 * {@code -Dloop.word=...} for another word); after {@value #TRAIN_EVERY} comparisons the trainer fits
 * the reward model, runs the policy optimisation ({@code -Dloop.algorithm=ppo|dpo|rloo|grpo}, default the
 * service's own) and publishes v1 with head-to-head samples (two of v1, two of v0 per prompt), which
 * arrive as new tasks. In that second round the oracle must prefer v1's responses to v0's more than
 * half the time, as the annotation app's win rate reports it.
 */
class ClosedLoopEndToEndTest {

    static final int TRAIN_EVERY = 60;
    static final String WORD = System.getProperty("loop.word", "big");
    static final String ALGORITHM = System.getProperty("loop.algorithm", "");
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path temp;
    static FeedbackApp app;
    static URI url;

    @BeforeAll
    static void startApp() {
        app = FeedbackApp.start("closed-loop-app");
        url = app.url();
    }

    @AfterAll
    static void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void theNewPolicysResponsesWinTheSecondRoundAgainstTheOldOnes() throws Exception {
        AnnotationAppClient admin = AnnotationAppClient.basic(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
        UUID project = admin.createProject(new AnnotationAppClient.ProjectSettings("closed loop", "Prefer stories about the " + WORD + ".",
                4, 1, null)).id();
        Path prompts = Path.of("..", "docs", "demo", "story-prompts.jsonl");
        assertThat(admin.importFile(project, "prompts", prompts).imported()).isEqualTo(40);

        List<String> serveArgs = new java.util.ArrayList<>(List.of("--bootstrap-servers", app.kafkaBootstrapServers(),
                "--model", SharedData.stories260kModel().toString(), "--tokenizer", SharedData.stories260kTokenizer().toString(),
                "--state-dir", temp.resolve("trainer").toString(), "--device", "cpu", "--train-every", Integer.toString(TRAIN_EVERY),
                "--prompts-per-round", "40", "--group-id", "closed-loop-" + UUID.randomUUID()));
        if (!ALGORITHM.isBlank()) {
            serveArgs.addAll(List.of("--algorithm", ALGORITHM));
        }
        var settings = SimulatedAnnotators.Settings.of(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, project, 4)
                .withAccounts("loop", "loop-secret").withIdleTimeout(Duration.ofMinutes(15));
        long t0 = System.nanoTime();
        try (ServeProcess serve = ServeProcess.start(temp.resolve("serve.log"), serveArgs);
             SimulatedAnnotators annotators = new SimulatedAnnotators(settings, new KeywordLabeler(WORD, 0.0, 11)).start()) {
            // Round 2 is ranked once (nearly) every v1-vs-v0 pair of the 40 head-to-head tasks (2 x 2 each) is counted; a
            // sample identical to an older one is stored once, so a few tasks may hold fewer pairs.
            JsonNode winRate = null;
            long deadline = System.nanoTime() + Duration.ofMinutes(12).toNanos();
            while (winRate == null || winRate.get("wins").asLong() + winRate.get("losses").asLong() + winRate.get("ties").asLong() < 140) {
                serve.assertAlive();
                assertThat(annotators.errors()).isEmpty();
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("round 2 not ranked in time; win rate so far " + winRate + "; serve log:\n" + serve.tail(40));
                }
                Thread.sleep(1000);
                winRate = versions(project).path("winRates").path(0);
                winRate = winRate.isMissingNode() || winRate.get("version") == null || !winRate.get("version").asString().equals("v1") ? null : winRate;
            }
            System.out.printf("closed loop (%s, word '%s'): %s after %.0f s; %d rankings by the simulated annotators%n%s%n",
                    ALGORITHM.isBlank() ? "default algorithm" : ALGORITHM, WORD, winRate, (System.nanoTime() - t0) / 1e9,
                    annotators.rankingsSubmitted(), serve.tail(30));
            assertThat(winRate.get("previous").asString()).isEqualTo("v0");
            assertThat(winRate.get("wins").asLong() + winRate.get("losses").asLong()).as("decided pairs").isGreaterThanOrEqualTo(20);
            assertThat(winRate.get("winRate").asDouble()).as("v1 beats v0 in the oracle's rankings").isGreaterThan(0.5);
            // The wait above ends once 140 head-to-head games are counted, which can be a few tasks before
            // the last of round 2's 40 is ranked: give the annotators up to a minute to finish them.
            long rankedBy = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (rankings(project) < 80 && System.nanoTime() < rankedBy) {
                assertThat(annotators.errors()).isEmpty();
                Thread.sleep(500);
            }
        }

        JsonNode stats = stats(project);
        assertThat(stats.get("counts").get("rankings").asLong()).as("round 1 and round 2 ranked").isGreaterThanOrEqualTo(80);
        LoopState state = LoopState.read(temp.resolve("trainer"));
        assertThat(state.version()).isGreaterThanOrEqualTo(1);
        assertThat(Files.exists(temp.resolve("trainer/policies/v1"))).isTrue();
    }

    static JsonNode stats(UUID project) {
        return JSON.readTree(new TestApi(url.toString(), TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, JSON)
                .get("/api/v1/projects/" + project + "/stats").body());
    }

    static long rankings(UUID project) {
        return stats(project).get("counts").get("rankings").asLong();
    }

    static JsonNode versions(UUID project) {
        var reply = new TestApi(url.toString(), TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD, JSON)
                .get("/api/v1/projects/" + project + "/policy-versions");
        assertThat(reply.status()).isEqualTo(200);
        return reply.json();
    }
}
