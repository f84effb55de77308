package dev.rlhf.feedback.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import dev.rlhf.feedback.metrics.MetricPoint;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.testing.IntegrationTest;

class PolicyVersionServiceTest extends IntegrationTest {

    @Autowired
    ProjectService projects;
    @Autowired
    PromptRepository prompts;
    @Autowired
    RankingRepository rankings;
    @Autowired
    PolicyVersionService policies;
    @Autowired
    TrainerMetricsService metrics;
    @Autowired
    dev.rlhf.feedback.metrics.TrainerMetricRepository repository;

    @Test
    void reportsVersionsInOrderOfAppearanceAndTheNewerOnesWinRate() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("policies", "", 2, 1, null)).id();
        for (int i = 0; i < 3; i++) {
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("story " + i), "api", null).id();
            UUID old = prompts.insertResponseIfAbsent(prompt, "old " + i, null, "v1", -3.0).id();
            Thread.sleep(5); // v2's responses arrive later, as a new policy's do
            UUID fresh = prompts.insertResponseIfAbsent(prompt, "new " + i, null, "v2", -2.0).id();
            // The newer policy wins two of three comparisons.
            List<List<UUID>> groups = i < 2 ? List.of(List.of(fresh), List.of(old)) : List.of(List.of(old), List.of(fresh));
            rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, prompt, project, null, "annotator",
                    groups, Map.of(), false, null, 1000L, Instant.now()));
        }

        var report = policies.report(project);

        // Versions the trainer reported on (from other tests; trainer-wide) are listed too, without responses.
        var sampled = report.versions().stream().filter(v -> v.responses() > 0).toList();
        assertThat(sampled).extracting(PolicyVersionService.PolicyVersion::version).containsExactly("v1", "v2");
        assertThat(sampled).extracting(PolicyVersionService.PolicyVersion::responses).containsExactly(3L, 3L);
        assertThat(report.winRates()).singleElement().satisfies(w -> {
            assertThat(w.version()).isEqualTo("v2");
            assertThat(w.wins()).isEqualTo(2);
            assertThat(w.losses()).isEqualTo(1);
            assertThat(w.winRate()).isEqualTo(2.0 / 3);
        });

        var reply = admin().get("/api/v1/projects/" + project + "/policy-versions");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().get("versions").get(1).get("version").asString()).isEqualTo("v2");
        assertThat(reply.json().get("winRates").get(0).get("winRate").asDouble()).isEqualTo(2.0 / 3);
        admin().postJson("/api/v1/annotators", Map.of("username", "versions-reader", "password", "reader-password-1",
                "roles", List.of("ANNOTATOR")));
        assertThat(api("versions-reader", "reader-password-1").get("/api/v1/projects/" + project + "/policy-versions").status())
                .as("admins only").isEqualTo(403);
    }

    /**
     * v40 and v41 reached the labelers (v41 wins two of three comparisons); v42 was rejected by the
     * trainer for its KL to the SFT policy and is known only from its health report.
     */
    @Test
    void reportsHealthPromotionBradleyTerryRatingsAndTheLoopsStatus() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("health", "", 2, 1, null)).id();
        for (int i = 0; i < 3; i++) {
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("tale " + i), "api", null).id();
            UUID old = prompts.insertResponseIfAbsent(prompt, "old " + i, null, "v40", -3.0).id();
            Thread.sleep(5);
            UUID fresh = prompts.insertResponseIfAbsent(prompt, "new " + i, null, "v41", -2.0).id();
            UUID sibling = prompts.insertResponseIfAbsent(prompt, "newer " + i, null, "v41", -2.0).id();
            // v41's responses beat v40's in two rankings and lose in the third: 4 of 6 games; the pair of v41's own
            // responses is no game.
            List<List<UUID>> groups = i < 2 ? List.of(List.of(fresh, sibling), List.of(old)) : List.of(List.of(old), List.of(fresh, sibling));
            rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, prompt, project, null, "annotator",
                    groups, Map.of(), false, null, 1000L, Instant.now()));
        }
        health(40, Map.of("health/kl_to_sft", 0.0, "health/distinct2", 0.62, "health/promoted", 1.0, "limit/kl_to_sft", 2.0));
        health(41, Map.of("health/kl_to_sft", 0.84, "health/distinct2", 0.58, "health/repeat_rate", 0.05, "health/length", 41.5,
                "health/score", 0.37, "health/promoted", 1.0, "limit/kl_to_sft", 2.0));
        health(42, Map.of("health/kl_to_sft", 3.1, "health/distinct2", 0.4, "health/promoted", 0.0, "guard/kl_to_sft", 1.0,
                "limit/kl_to_sft", 2.0, "limit/distinct2", 0.3));
        metrics.record(new MetricPoint("round-41", "reward", 9, "eval_accuracy", 0.625, Instant.now()));
        metrics.record(new MetricPoint("round-41", "reward", 12, "eval_accuracy", 0.75, Instant.now()));
        // The loop's reports are trainer-wide: start from none, so another test's report of this same second cannot stand in.
        repository.deleteBefore("loop", "loop", Long.MAX_VALUE);
        long now = Instant.now().getEpochSecond();
        loop(now - 20, Map.of("loop/version", 40.0, "loop/round", 41.0));
        loop(now, Map.of("loop/version", 41.0, "loop/round", 0.0, "loop/comparisons_new", 46.0, "loop/train_every", 60.0,
                "loop/idle_seconds", 10.0, "loop/idle_limit_seconds", 30.0, "loop/requests_pending", 0.0));

        var report = policies.report(project);

        var ours = report.versions().stream().filter(v -> List.of("v40", "v41", "v42").contains(v.version())).toList();
        assertThat(ours).extracting(PolicyVersionService.PolicyVersion::version).containsExactly("v40", "v41", "v42");
        assertThat(ours).extracting(PolicyVersionService.PolicyVersion::responses).containsExactly(3L, 6L, 0L);
        var v41 = ours.get(1);
        var v42 = ours.get(2);
        assertThat(v41.health()).containsEntry("kl_to_sft", 0.84).containsEntry("score", 0.37).containsEntry("length", 41.5);
        assertThat(v41.promoted()).isTrue();
        assertThat(v41.rejectedBecause()).isEmpty();
        assertThat(v41.evalAccuracy()).as("the round's last step").isEqualTo(0.75);
        assertThat(v42.firstSeen()).isNull();
        assertThat(v42.promoted()).isFalse();
        assertThat(v42.rejectedBecause()).containsExactly("kl_to_sft");
        assertThat(v42.promotion()).isEqualTo("rejected: KL to SFT 3.1 > 2.0");
        assertThat(report.winRates()).as("a rejected version is compared with no one").singleElement()
                .satisfies(w -> assertThat(w.winRate()).isEqualTo(2.0 / 3));
        // Bradley-Terry: 4 wins of 6 -> odds 2 -> 400 log10(2) above the anchor v40.
        assertThat(report.ratings()).extracting(BradleyTerry.Rating::version).containsExactly("v40", "v41");
        assertThat(report.ratings()).extracting(BradleyTerry.Rating::games).containsExactly(6L, 6L);
        var rating = report.ratings().get(1);
        assertThat(rating.rating()).isCloseTo(1000 + 400 * Math.log10(2), org.assertj.core.api.Assertions.within(1e-6));
        assertThat(rating.lower()).isLessThanOrEqualTo(rating.rating());
        assertThat(rating.upper()).isGreaterThanOrEqualTo(rating.rating());
        assertThat(report.loop().waitingFor()).isEqualTo("Waiting for 14 more comparisons (46 of 60), or 20 s more without rankings");
        assertThat(report.loop().version()).isEqualTo(41);

        var reply = admin().get("/api/v1/projects/" + project + "/policy-versions");
        assertThat(reply.status()).isEqualTo(200);
        var versions = reply.json().get("versions");
        tools.jackson.databind.JsonNode rejected = null;
        for (var v : versions) {
            if (v.get("version").asString().equals("v42")) {
                rejected = v;
            }
        }
        assertThat(rejected).isNotNull();
        assertThat(rejected.get("promoted").asBoolean()).isFalse();
        assertThat(rejected.get("rejectedBecause").get(0).asString()).isEqualTo("kl_to_sft");
        assertThat(rejected.get("health").get("kl_to_sft").asDouble()).isEqualTo(3.1);
        assertThat(rejected.get("responses").asLong()).isZero();
        assertThat(reply.json().get("ratings").get(1).get("version").asString()).isEqualTo("v41");
        assertThat(reply.json().get("ratings").get(1).get("rating").asDouble()).isCloseTo(1120.412, org.assertj.core.api.Assertions.within(1e-3));
        assertThat(reply.json().get("ratings").get(1).has("lower")).isTrue();
        assertThat(reply.json().get("loop").get("comparisonsNew").asLong()).isEqualTo(46);
    }

    @Test
    void ratingsAreAnchoredAtTheLowestVersionEvenWhenItsResponsesArriveLater() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("anchor", "", 2, 1, null)).id();
        UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("late v50"), "api", null).id();
        UUID newer = prompts.insertResponseIfAbsent(prompt, "from v51", null, "v51", -2.0).id();
        Thread.sleep(5);
        UUID older = prompts.insertResponseIfAbsent(prompt, "from v50", null, "v50", -3.0).id();
        rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, prompt, project, null, "annotator",
                List.of(List.of(newer, older)), Map.of(), false, null, 1000L, Instant.now()));

        var ratings = policies.report(project).ratings();

        // One tie: equal strength, both at the anchor's 1000, and v50 is the anchor (its interval is the point).
        assertThat(ratings).extracting(BradleyTerry.Rating::version).containsExactly("v50", "v51");
        assertThat(ratings.getFirst().lower()).isEqualTo(1000.0);
        assertThat(ratings.getFirst().upper()).isEqualTo(1000.0);
        assertThat(ratings.get(1).rating()).isCloseTo(1000.0, org.assertj.core.api.Assertions.within(1e-9));
    }

    private void health(long version, Map<String, Double> values) {
        values.forEach((name, value) -> metrics.record(new MetricPoint("health", "health", version, name, value, Instant.now())));
    }

    private void loop(long epochSecond, Map<String, Double> values) {
        values.forEach((name, value) -> metrics.record(new MetricPoint("loop", "loop", epochSecond, name, value, Instant.now())));
    }
}
