package dev.rlhf.feedback.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.export.ProjectCleanup;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.Grades;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;
import tools.jackson.databind.JsonNode;

/**
 * The stats endpoint names and reports the agreement measure suited to each feedback mode's scale,
 * over graded rankings written straight through the repositories (as the submission service stores
 * them: grades plus the ranking derived from them).
 */
class FeedbackModesStatsApiTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;
    @Autowired JdbcClient jdbc;

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);

    /**
     * One task, x y z, rated by alice (x 7, y 2, z 4) and bob (x 5, y 2, z 6); gold x > z > y.
     * Derived rankings: alice x > z > y, bob z > x > y.
     */
    @Test
    void ratingProjectsReportIntervalAlphaOverTheRatingsAndGoldAccuracyOfTheDerivedRanking() {
        UUID project = project("rating", 3);
        try {
            UUID alice = annotator("alice"), bob = annotator("bob");
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("Rate these"), "api", null).id();
            UUID x = response(prompt, "x"), y = response(prompt, "y"), z = response(prompt, "z");
            UUID task = tasks.createIfAbsent(project, prompt, List.of(x, y, z), 2);
            gold.set(prompt, List.of(List.of(x), List.of(z), List.of(y)));
            rate(project, task, prompt, alice, Map.of(x, 7, y, 2, z, 4));
            rate(project, task, prompt, bob, Map.of(x, 5, y, 2, z, 6));

            JsonNode agreement = stats(project).path("agreement");
            assertThat(agreement.path("feedbackMode").asString()).isEqualTo("rating");
            assertThat(agreement.path("measure").asString()).isEqualTo("ratingsAlphaInterval");
            // Units x (7, 5), y (2, 2), z (4, 6); n_2 = 2, n_4 = n_5 = n_6 = n_7 = 1, n = 6.
            // interval: observed 2 * (2^2 + 2^2) = 16, expected 256 (AgreementMeasuresTest): 1 - 5 * 16 / 256 = 0.6875
            assertThat(agreement.path("ratingsAlphaInterval").asDouble()).isCloseTo(0.6875, within(1e-12));
            assertThat(agreement.path("measureValue").asDouble()).isCloseTo(0.6875, within(1e-12));
            // ordinal: delta2(7,5) = (n_5 + n_6 + n_7 - (n_5 + n_7)/2)^2 = (3 - 1)^2 = 4, delta2(4,6) = 4: observed 2 * 8 = 16;
            // expected 2 * (2*2.25 + 2*6.25 + 2*12.25 + 2*20.25 + 1 + 4 + 9 + 1 + 4 + 1) = 204: 1 - 5 * 16 / 204 = 0.607843
            assertThat(agreement.path("ratingsAlphaOrdinal").asDouble()).isCloseTo(1 - 80.0 / 204, within(1e-12));
            assertThat(agreement.path("labelsAlphaNominal").isNull()).isTrue();
            // The derived rankings still give the pair agreement: x>y and z>y agree, x vs z does not: 2/3.
            assertThat(agreement.path("pairwise").asDouble()).isCloseTo(2.0 / 3.0, within(1e-12));

            // Gold items score the derived ranking as in every mode: alice's equals the gold (3/3), bob swaps x and z (2/3).
            JsonNode stats = stats(project);
            assertThat(annotatorFigures(stats, "alice").path("goldAccuracy").asDouble()).isEqualTo(1.0);
            assertThat(annotatorFigures(stats, "bob").path("goldAccuracy").asDouble()).isCloseTo(2.0 / 3.0, within(1e-12));
            assertThat(annotatorFigures(stats, "bob").path("goldPairs").asLong()).isEqualTo(3);
        } finally {
            ProjectCleanup.delete(jdbc, project, suffix);
        }
    }

    /** Thumbs of x y z by carol (up, down, up) and dave (up, down, down). */
    @Test
    void binaryProjectsReportNominalAlphaOverTheThumbs() {
        UUID project = project("binary", 3);
        try {
            UUID carol = annotator("carol"), dave = annotator("dave");
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("Thumbs"), "api", null).id();
            UUID x = response(prompt, "x"), y = response(prompt, "y"), z = response(prompt, "z");
            UUID task = tasks.createIfAbsent(project, prompt, List.of(x, y, z), 2);
            thumbs(project, task, prompt, carol, Map.of(x, true, y, false, z, true));
            thumbs(project, task, prompt, dave, Map.of(x, true, y, false, z, false));

            JsonNode agreement = stats(project).path("agreement");
            assertThat(agreement.path("feedbackMode").asString()).isEqualTo("binary");
            assertThat(agreement.path("measure").asString()).isEqualTo("labelsAlphaNominal");
            // Units x (1, 1), y (0, 0), z (1, 0): o11 = 2, o00 = 2, o10 = o01 = 1; n_0 = n_1 = 3, n = 6;
            // observed 2, expected 36 - 9 - 9 = 18: 1 - 5 * 2 / 18 = 0.444444
            assertThat(agreement.path("labelsAlphaNominal").asDouble()).isCloseTo(1 - 10.0 / 18, within(1e-12));
            assertThat(agreement.path("measureValue").asDouble()).isCloseTo(1 - 10.0 / 18, within(1e-12));
            assertThat(agreement.path("ratingsAlphaInterval").isNull()).isTrue();
        } finally {
            ProjectCleanup.delete(jdbc, project, suffix);
        }
    }

    /** A pair a, b: erin a >> b, frank a > b, gina b > a. The measure is today's pair agreement. */
    @Test
    void pairwiseProjectsReportThePairAgreement() {
        UUID project = project("pairwise", 2);
        try {
            UUID erin = annotator("erin"), frank = annotator("frank"), gina = annotator("gina");
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("Pick one"), "api", null).id();
            UUID a = response(prompt, "a"), b = response(prompt, "b");
            UUID task = tasks.createIfAbsent(project, prompt, List.of(a, b), 3);
            pair(project, task, prompt, erin, List.of(List.of(a), List.of(b)), 2);
            pair(project, task, prompt, frank, List.of(List.of(a), List.of(b)), 1);
            pair(project, task, prompt, gina, List.of(List.of(b), List.of(a)), 1);

            JsonNode agreement = stats(project).path("agreement");
            assertThat(agreement.path("feedbackMode").asString()).isEqualTo("pairwise");
            assertThat(agreement.path("measure").asString()).isEqualTo("pairwise");
            // annotator pairs: erin-frank agree, erin-gina and frank-gina do not: 1/3
            assertThat(agreement.path("pairwise").asDouble()).isCloseTo(1.0 / 3.0, within(1e-12));
            assertThat(agreement.path("measureValue").asDouble()).isCloseTo(1.0 / 3.0, within(1e-12));
            assertThat(agreement.path("comparedPairs").asLong()).isEqualTo(3);
        } finally {
            ProjectCleanup.delete(jdbc, project, suffix);
        }
    }

    private UUID project(String mode, int k) {
        return projects.create(new ProjectService.ProjectSettings("stats-" + mode + "-" + suffix, "", k, 2, null, mode)).id();
    }

    private UUID annotator(String name) {
        return annotators.create(name + "-" + suffix, "fixture-password", EnumSet.of(Annotator.Role.ANNOTATOR)).id();
    }

    private UUID response(UUID prompt, String text) {
        return prompts.insertResponseIfAbsent(prompt, text, "model-a", null, null).id();
    }

    private void rate(UUID project, UUID task, UUID prompt, UUID annotator, Map<UUID, Integer> ratings) {
        insert(project, task, prompt, annotator, GradedFeedback.groupsFromRatings(ratings), new Grades(FeedbackMode.RATING, null, ratings, Map.of()));
    }

    private void thumbs(UUID project, UUID task, UUID prompt, UUID annotator, Map<UUID, Boolean> labels) {
        insert(project, task, prompt, annotator, GradedFeedback.groupsFromLabels(labels), new Grades(FeedbackMode.BINARY, null, Map.of(), labels));
    }

    private void pair(UUID project, UUID task, UUID prompt, UUID annotator, List<List<UUID>> groups, int strength) {
        insert(project, task, prompt, annotator, groups, new Grades(FeedbackMode.PAIRWISE, strength, Map.of(), Map.of()));
    }

    private void insert(UUID project, UUID task, UUID prompt, UUID annotator, List<List<UUID>> groups, Grades grades) {
        rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), task, null, prompt, project, annotator, Ranking.ANNOTATOR, groups,
                Map.of(), false, null, 1000L, Instant.now(), grades));
    }

    private JsonNode stats(UUID project) {
        var reply = admin().get("/api/v1/projects/" + project + "/stats");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json();
    }

    private JsonNode annotatorFigures(JsonNode stats, String name) {
        for (JsonNode a : stats.path("annotators")) {
            if (a.path("username").asString().equals(name + "-" + suffix)) {
                return a;
            }
        }
        throw new AssertionError("no figures for " + name + " in " + stats);
    }
}
