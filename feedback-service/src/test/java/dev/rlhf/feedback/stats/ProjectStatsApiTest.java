package dev.rlhf.feedback.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.export.FeedbackFixture;
import dev.rlhf.feedback.export.ProjectCleanup;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import tools.jackson.databind.JsonNode;

/** The stats endpoint over the export fixture (see FeedbackFixture for the data). */
class ProjectStatsApiTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;
    @Autowired JdbcClient jdbc;

    @Test
    void countsProgressAgreementAndPerAnnotatorFigures() {
        var f = new FeedbackFixture(projects, annotators, prompts, tasks, rankings, gold);
        try {
            check(f);
        } finally {
            ProjectCleanup.delete(jdbc, f.project, f.suffix);
        }
    }

    private void check(FeedbackFixture f) {
        var reply = admin().get("/api/v1/projects/" + f.project + "/stats");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonNode s = reply.json();

        JsonNode counts = s.path("counts");
        assertThat(counts.path("prompts").asLong()).isEqualTo(3);
        assertThat(counts.path("responses").asLong()).isEqualTo(8);
        assertThat(counts.path("tasks").asLong()).isEqualTo(3);
        // t1 3 of 3, t2 2 of 2, t3 1 of 2
        assertThat(counts.path("tasksComplete").asLong()).isEqualTo(2);
        assertThat(counts.path("rankings").asLong()).isEqualTo(6);
        // 6 + 5 + 6 + 1 + 1 + 0, as the pairs export writes
        assertThat(counts.path("pairs").asLong()).isEqualTo(19);
        assertThat(s.path("progress").asDouble()).isCloseTo(2.0 / 3.0, within(1e-12));

        JsonNode agreement = s.path("agreement");
        // t1: alice-bob 4/5, alice-carol 5/6, bob-carol 4/5; t2: alice-bob 0/1 -> 13 / 17
        assertThat(agreement.path("pairwise").asDouble()).isCloseTo(13.0 / 17.0, within(1e-12));
        assertThat(agreement.path("comparedPairs").asLong()).isEqualTo(17);
        // tau-b: alice-bob (4-1)/sqrt(6*5), alice-carol (5-1)/6, bob-carol (4-1)/sqrt(5*6), t2 (0-1)/1; mean of the 4
        double tau = (2 * 3 / Math.sqrt(30) + 4.0 / 6.0 - 1) / 4;
        assertThat(agreement.path("meanKendallTauB").asDouble()).isCloseTo(tau, within(1e-12));
        // ordinal alpha over units (task, response) with fractional ranks:
        // t1 r1 (1, 2, 1), r4 (2, 1, 2), r2 (3, 3.5, 4), r3 (4, 3.5, 3); t2 s1 (1, 2), s2 (2, 1); t3 has one ranking, unpairable.
        // 0.635008 by an independent brute-force computation of Krippendorff's definition (o_ck, n_c, ordinal delta).
        assertThat(agreement.path("krippendorffAlpha").asDouble()).isCloseTo(0.635008, within(1e-6));

        JsonNode alice = annotator(s, f.alice);
        assertThat(alice.path("rankings").asLong()).isEqualTo(3);
        assertThat(alice.path("medianSecondsPerTask").asDouble()).isEqualTo(12.0); // 10, 12, 14 s
        assertThat(alice.path("pairwiseAgreement").asDouble()).isCloseTo(9.0 / 12.0, within(1e-12)); // 4/5 + 5/6 + 0/1
        assertThat(alice.path("goldAccuracy").asDouble()).isEqualTo(1.0); // same order as the gold: 6/6
        assertThat(alice.path("goldPairs").asLong()).isEqualTo(6);

        JsonNode bob = annotator(s, f.bob);
        assertThat(bob.path("rankings").asLong()).isEqualTo(2);
        assertThat(bob.path("medianSecondsPerTask").asDouble()).isEqualTo(21.0); // 20, 22 s
        assertThat(bob.path("pairwiseAgreement").asDouble()).isCloseTo(8.0 / 11.0, within(1e-12)); // 4/5 + 4/5 + 0/1
        // gold r1>r4>r2>r3: bob swaps r1/r4 (miss) and ties r2/r3 (miss) -> 4/6
        assertThat(bob.path("goldAccuracy").asDouble()).isCloseTo(4.0 / 6.0, within(1e-12));

        JsonNode carol = annotator(s, f.carol);
        assertThat(carol.path("rankings").asLong()).isEqualTo(1);
        assertThat(carol.path("medianSecondsPerTask").asDouble()).isEqualTo(30.0);
        assertThat(carol.path("pairwiseAgreement").asDouble()).isCloseTo(9.0 / 11.0, within(1e-12)); // 5/6 + 4/5
        assertThat(carol.path("goldAccuracy").asDouble()).isCloseTo(5.0 / 6.0, within(1e-12)); // r2/r3 swapped

        assertThat(admin().get("/api/v1/projects/" + UUID.randomUUID() + "/stats").status()).isEqualTo(404);
    }

    private static JsonNode annotator(JsonNode stats, String username) {
        for (JsonNode a : stats.path("annotators")) {
            if (a.path("username").asString().equals(username)) {
                return a;
            }
        }
        throw new AssertionError("no figures for " + username + " in " + stats);
    }
}
