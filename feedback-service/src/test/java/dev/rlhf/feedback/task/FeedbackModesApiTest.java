package dev.rlhf.feedback.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import tools.jackson.core.type.TypeReference;

/**
 * Submissions in each feedback mode (issue 16) through the REST API on PostgreSQL: what each mode
 * requires, what it refuses (400 naming the field), and that the grades reach the database and the
 * outbox's {@code RankingSubmitted} event beside the ranking derived from them.
 */
class FeedbackModesApiTest extends IntegrationTest {

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;

    TaskFixtures fixtures;

    @BeforeEach
    void fixtures() {
        fixtures = new TaskFixtures(admin(), prompts, taskRepository);
    }

    @Test
    void pairwiseStoresTheStrengthOfAWinAndZeroForATie() {
        UUID project = fixtures.project("modes-pairwise", 2, 2, 600, "pairwise");
        var task = fixtures.task(project, "pick the better one", 2, 2);
        UUID a = task.responseIds().get(0), b = task.responseIds().get(1);
        TestApi alice = api(fixtures.annotator("pair-alice", project), TaskFixtures.PASSWORD);
        var next = alice.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(next.json().path("feedbackMode").asString()).isEqualTo("pairwise");

        var reply = alice.postJson(path(task), body(List.of(List.of(b), List.of(a)), 2, null, null));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        var stored = stored(reply);
        assertThat(stored.get("feedback_mode")).isEqualTo("pairwise");
        assertThat(((Number) stored.get("strength")).intValue()).isEqualTo(2);
        assertThat(stored.get("ratings")).isNull();
        assertThat(stored.get("labels")).isNull();
        assertThat(stored.get("ranking")).isEqualTo(json.writeValueAsString(List.of(List.of(b), List.of(a))));
        RankingSubmitted event = event(reply);
        assertThat(event.getFeedbackMode()).isEqualTo("pairwise");
        assertThat(event.getStrength()).isEqualTo(2);
        assertThat(event.getRanking()).containsExactly(List.of(b.toString()), List.of(a.toString()));
        assertThat(event.getRatings()).isEmpty();
        assertThat(event.getLabels()).isEmpty();

        TestApi bob = api(fixtures.annotator("pair-bob", project), TaskFixtures.PASSWORD);
        bob.get("/api/v1/tasks/next?projectId=" + project);
        var tie = bob.postJson(path(task), body(List.of(List.of(a, b)), null, null, null));
        assertThat(tie.status()).as("about the same: one tie group, strength left out " + tie.body()).isEqualTo(201);
        assertThat(((Number) stored(tie).get("strength")).intValue()).isZero();
        assertThat(event(tie).getStrength()).isZero();
    }

    @Test
    void pairwiseRefusesAMissingOrWrongStrengthAndOtherModesGrades() {
        UUID project = fixtures.project("modes-pairwise-400", 2, 1, 600, "pairwise");
        var task = fixtures.task(project, "pairwise validation", 2, 1);
        UUID a = task.responseIds().get(0), b = task.responseIds().get(1);
        TestApi carol = api(fixtures.annotator("pair-carol", project), TaskFixtures.PASSWORD);
        carol.get("/api/v1/tasks/next?projectId=" + project);
        var win = List.of(List.of(a), List.of(b));

        assertProblem(carol.postJson(path(task), body(win, null, null, null)), "strength", "strength is required when one response wins");
        assertProblem(carol.postJson(path(task), body(win, 3, null, null)), "strength", "must be 1 (better) or 2 (much better) when one response wins, not 3");
        assertProblem(carol.postJson(path(task), body(win, 0, null, null)), "strength", "not 0");
        assertProblem(carol.postJson(path(task), Map.of("ranking", win, "strength", 1.5, "durationMs", 1)), "strength", "expected a whole number");
        assertProblem(carol.postJson(path(task), body(List.of(List.of(a, b)), 1, null, null)), "strength",
                "strength must be 0 (about the same) or absent when the ranking is one tie group, not 1");
        assertProblem(carol.postJson(path(task), body(null, 1, null, null)), "ranking", "ranking is empty");
        assertProblem(carol.postJson(path(task), body(List.of(List.of(a)), 1, null, null)), "ranking", "ranking is missing response");
        assertProblem(carol.postJson(path(task), body(win, 1, Map.of(a.toString(), 5, b.toString(), 3), null)), "ratings",
                "this project's feedback mode is pairwise, which takes a ranking and a strength, not ratings");
        assertProblem(carol.postJson(path(task), body(win, 1, null, Map.of(a.toString(), true, b.toString(), false))), "labels", "not labels");
        assertThat(rankings(task)).as("refused submissions store nothing").isZero();

        assertThat(carol.postJson(path(task), body(win, 1, null, null)).status()).isEqualTo(201);
        assertThat(carol.postJson(path(task), body(win, 1, null, null)).status()).as("a second submission, as in every mode").isEqualTo(409);
    }

    @Test
    void aProjectSwitchedToPairwiseTakesOnlyAGradedPairOnItsOlderLargerTasks() {
        UUID project = fixtures.project("modes-switched", 3, 1, 600);
        var task = fixtures.task(project, "three responses", 3, 1);
        UUID r0 = task.responseIds().get(0), r1 = task.responseIds().get(1), r2 = task.responseIds().get(2);
        var switched = admin().putJson("/api/v1/projects/" + project, Map.of("name", "modes-switched", "feedbackMode", "pairwise"));
        assertThat(switched.status()).as(switched.body()).isEqualTo(200);
        assertThat(switched.json().path("responsesPerTask").asInt()).as("pairwise's K").isEqualTo(2);
        TestApi kim = api(fixtures.annotator("pair-kim", project), TaskFixtures.PASSWORD);
        assertThat(kim.get("/api/v1/tasks/next?projectId=" + project).json().path("feedbackMode").asString()).isEqualTo("pairwise");

        assertProblem(kim.postJson(path(task), body(List.of(List.of(r0), List.of(r1), List.of(r2)), 1, null, null)), "ranking",
                "a graded pair is two tie groups (one wins) or one (about the same), not 3");
        var twoGroups = kim.postJson(path(task), body(List.of(List.of(r0), List.of(r1, r2)), 1, null, null));
        assertThat(twoGroups.status()).as(twoGroups.body()).isEqualTo(201);
        assertThat(((Number) stored(twoGroups).get("strength")).intValue()).isEqualTo(1);
    }

    @Test
    void ratingStoresEachResponsesRatingAndDerivesTheRankingInTheTasksOrder() {
        UUID project = fixtures.project("modes-rating", 3, 2, 600, "rating");
        var task = fixtures.task(project, "rate these", 3, 2);
        UUID r0 = task.responseIds().get(0), r1 = task.responseIds().get(1), r2 = task.responseIds().get(2);
        TestApi dave = api(fixtures.annotator("rate-dave", project), TaskFixtures.PASSWORD);
        assertThat(dave.get("/api/v1/tasks/next?projectId=" + project).json().path("feedbackMode").asString()).isEqualTo("rating");

        // Posted in another order than the task's: r2 and r0 tie at 6, listed as the task lists them (ids sorted).
        Map<String, Integer> ratings = new LinkedHashMap<>();
        ratings.put(r2.toString(), 6);
        ratings.put(r1.toString(), 2);
        ratings.put(r0.toString(), 6);
        var body = body(null, null, ratings, null);
        body.put("flags", Map.of(r1.toString(), List.of("untruthful")));
        var reply = dave.postJson(path(task), body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        var stored = stored(reply);
        assertThat(stored.get("feedback_mode")).isEqualTo("rating");
        assertThat(stored.get("strength")).isNull();
        assertThat(json.readValue((String) stored.get("ratings"), new TypeReference<Map<UUID, Integer>>() { }))
                .isEqualTo(Map.of(r0, 6, r1, 2, r2, 6));
        assertThat(stored.get("ranking")).isEqualTo(json.writeValueAsString(List.of(inTaskOrder(r0, r2), List.of(r1))));
        assertThat(stored.get("flags")).isEqualTo(json.writeValueAsString(Map.of(r1, List.of("untruthful"))));
        RankingSubmitted event = event(reply);
        assertThat(event.getFeedbackMode()).isEqualTo("rating");
        assertThat(event.getStrength()).isNull();
        assertThat(event.getRatings()).containsOnly(Map.entry(r0.toString(), 6), Map.entry(r1.toString(), 2), Map.entry(r2.toString(), 6));
        assertThat(event.getRanking()).containsExactly(strings(inTaskOrder(r0, r2)), List.of(r1.toString()));

        TestApi erin = api(fixtures.annotator("rate-erin", project), TaskFixtures.PASSWORD);
        erin.get("/api/v1/tasks/next?projectId=" + project);
        var withRanking = erin.postJson(path(task), body(List.of(List.of(r1), List.of(r2, r0)), null, Map.of(r0.toString(), 1, r1.toString(), 7,
                r2.toString(), 1), null));
        assertThat(withRanking.status()).as("a posted ranking that the ratings give, ties in any order " + withRanking.body()).isEqualTo(201);
        assertThat(stored(withRanking).get("ranking")).isEqualTo(json.writeValueAsString(List.of(List.of(r1), inTaskOrder(r0, r2))));
    }

    @Test
    void ratingRefusesMissingForeignOutOfScaleRatingsAndAContradictingRanking() {
        UUID project = fixtures.project("modes-rating-400", 2, 1, 600, "rating");
        var task = fixtures.task(project, "rating validation", 2, 1);
        UUID r0 = task.responseIds().get(0), r1 = task.responseIds().get(1);
        UUID foreign = UUID.randomUUID();
        TestApi frank = api(fixtures.annotator("rate-frank", project), TaskFixtures.PASSWORD);
        frank.get("/api/v1/tasks/next?projectId=" + project);

        assertProblem(frank.postJson(path(task), body(List.of(List.of(r0), List.of(r1)), null, null, null)), "ratings",
                "ratings is required in this project's feedback mode: one per response of the task");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 4), null)), "ratings",
                "ratings is missing response [" + r1 + "]");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 4, r1.toString(), 8), null)), "ratings." + r1,
                "ratings." + r1 + " must be between 1 and 7, not 8");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 0, r1.toString(), 3), null)), "ratings." + r0, "not 0");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 4, r1.toString(), 4, foreign.toString(), 4), null)),
                "ratings." + foreign, "ratings name response " + foreign + ", which is not in this task");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 4, r1.toString(), 4, "r2", 4), null)), "ratings.r2",
                "ratings name response r2, which is not in this task");
        var twoSpellings = new LinkedHashMap<String, Integer>();
        twoSpellings.put(r0.toString(), 4);
        twoSpellings.put(r1.toString(), 4);
        twoSpellings.put(r1.toString().toUpperCase(Locale.ROOT), 5);
        assertProblem(frank.postJson(path(task), body(null, null, twoSpellings, null)), "ratings." + r1.toString().toUpperCase(Locale.ROOT),
                "ratings name response " + r1 + " more than once");
        var nullRating = new LinkedHashMap<String, Integer>();
        nullRating.put(r0.toString(), 4);
        nullRating.put(r1.toString(), null);
        assertProblem(frank.postJson(path(task), body(null, null, nullRating, null)), "ratings." + r1, "is null");
        assertProblem(frank.postJson(path(task), body(List.of(List.of(r0), List.of(r1)), null, Map.of(r0.toString(), 2, r1.toString(), 6), null)),
                "ranking", "is not the one the ratings give");
        // Jackson would truncate 5.5 to 5 (ACCEPT_FLOAT_AS_INT) and read "5" as 5: a grade must be a JSON integer.
        assertProblem(frank.postJson(path(task), Map.of("ratings", Map.of(r0.toString(), 5.5, r1.toString(), 3), "durationMs", 1)),
                "ratings." + r0, "expected a whole number");
        assertProblem(frank.postJson(path(task), Map.of("ratings", Map.of(r0.toString(), "5", r1.toString(), 3), "durationMs", 1)),
                "ratings." + r0, "expected a whole number");
        assertProblem(frank.postJson(path(task), body(null, 1, Map.of(r0.toString(), 2, r1.toString(), 6), null)), "strength",
                "this project's feedback mode is rating, which takes ratings, not strength");
        assertProblem(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 2, r1.toString(), 6), Map.of(r0.toString(), true))),
                "labels", "not labels");
        assertThat(rankings(task)).isZero();

        TestApi outsider = api(fixtures.annotator("rate-outsider", project), TaskFixtures.PASSWORD);
        assertThat(outsider.postJson(path(task), body(null, null, Map.of(r0.toString(), 2, r1.toString(), 6), null)).status())
                .as("not assigned, as in every mode").isEqualTo(403);
        assertThat(frank.postJson(path(task), body(null, null, Map.of(r0.toString(), 2, r1.toString(), 6), null)).status()).isEqualTo(201);
    }

    @Test
    void binaryStoresThumbsAndDerivesUpOverDown() {
        UUID project = fixtures.project("modes-binary", 3, 2, 600, "binary");
        var task = fixtures.task(project, "thumbs", 3, 2);
        UUID r0 = task.responseIds().get(0), r1 = task.responseIds().get(1), r2 = task.responseIds().get(2);
        TestApi gina = api(fixtures.annotator("thumb-gina", project), TaskFixtures.PASSWORD);
        assertThat(gina.get("/api/v1/tasks/next?projectId=" + project).json().path("feedbackMode").asString()).isEqualTo("binary");

        var reply = gina.postJson(path(task), body(null, null, null, Map.of(r0.toString(), false, r1.toString(), true, r2.toString(), true)));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        var stored = stored(reply);
        assertThat(stored.get("feedback_mode")).isEqualTo("binary");
        assertThat(json.readValue((String) stored.get("labels"), new TypeReference<Map<UUID, Boolean>>() { }))
                .isEqualTo(Map.of(r0, false, r1, true, r2, true));
        assertThat(stored.get("ratings")).isNull();
        assertThat(stored.get("ranking")).isEqualTo(json.writeValueAsString(List.of(inTaskOrder(r1, r2), List.of(r0))));
        RankingSubmitted event = event(reply);
        assertThat(event.getFeedbackMode()).isEqualTo("binary");
        assertThat(event.getLabels()).containsOnly(Map.entry(r0.toString(), false), Map.entry(r1.toString(), true), Map.entry(r2.toString(), true));
        assertThat(event.getRanking()).containsExactly(strings(inTaskOrder(r1, r2)), List.of(r0.toString()));

        TestApi hank = api(fixtures.annotator("thumb-hank", project), TaskFixtures.PASSWORD);
        hank.get("/api/v1/tasks/next?projectId=" + project);
        var allDown = hank.postJson(path(task), body(null, null, null, Map.of(r0.toString(), false, r1.toString(), false, r2.toString(), false)));
        assertThat(allDown.status()).as(allDown.body()).isEqualTo(201);
        assertThat(stored(allDown).get("ranking")).as("all the same: one tie group").isEqualTo(json.writeValueAsString(List.of(inTaskOrder(r0, r1, r2))));
    }

    @Test
    void binaryRefusesMissingOrForeignLabelsAndRankingRefusesGrades() {
        UUID project = fixtures.project("modes-binary-400", 2, 1, 600, "binary");
        var task = fixtures.task(project, "binary validation", 2, 1);
        UUID r0 = task.responseIds().get(0), r1 = task.responseIds().get(1);
        TestApi ida = api(fixtures.annotator("thumb-ida", project), TaskFixtures.PASSWORD);
        ida.get("/api/v1/tasks/next?projectId=" + project);

        assertProblem(ida.postJson(path(task), body(null, null, null, null)), "labels", "labels is required");
        assertProblem(ida.postJson(path(task), body(null, null, null, Map.of(r1.toString(), true))), "labels", "labels is missing response [" + r0 + "]");
        UUID foreign = UUID.randomUUID();
        assertProblem(ida.postJson(path(task), body(null, null, null, Map.of(r0.toString(), true, r1.toString(), true, foreign.toString(), false))),
                "labels." + foreign, "not in this task");
        assertProblem(ida.postJson(path(task), body(List.of(List.of(r0), List.of(r1)), null, null, Map.of(r0.toString(), false, r1.toString(), true))),
                "ranking", "is not the one the labels give");
        assertProblem(ida.postJson(path(task), body(null, null, Map.of(r0.toString(), 5, r1.toString(), 1), Map.of(r0.toString(), true, r1.toString(), false))),
                "ratings", "this project's feedback mode is binary, which takes labels, not ratings");
        assertThat(rankings(task)).isZero();
        assertThat(ida.postJson(path(task), body(List.of(List.of(r0), List.of(r1)), null, null, Map.of(r0.toString(), true, r1.toString(), false)))
                .status()).as("a posted ranking that the labels give").isEqualTo(201);

        UUID ranking = fixtures.project("modes-ranking-400", 2, 1, 600);
        var rankTask = fixtures.task(ranking, "ranking refuses grades", 2, 1);
        UUID s0 = rankTask.responseIds().get(0), s1 = rankTask.responseIds().get(1);
        TestApi jack = api(fixtures.annotator("rank-jack", ranking), TaskFixtures.PASSWORD);
        assertThat(jack.get("/api/v1/tasks/next?projectId=" + ranking).json().path("feedbackMode").asString()).isEqualTo("ranking");
        var order = List.of(List.of(s0), List.of(s1));
        assertProblem(jack.postJson(path(rankTask), body(order, 1, null, null)), "strength",
                "this project's feedback mode is ranking, which takes a ranking, not strength");
        assertProblem(jack.postJson(path(rankTask), body(order, null, Map.of(s0.toString(), 7, s1.toString(), 1), null)), "ratings", "not ratings");
        assertProblem(jack.postJson(path(rankTask), body(order, null, null, Map.of(s0.toString(), true, s1.toString(), false))), "labels", "not labels");
        var plain = jack.postJson(path(rankTask), body(order, null, Map.of(), Map.of()));
        assertThat(plain.status()).as("empty grade objects count as not posted " + plain.body()).isEqualTo(201);
        assertThat(stored(plain).get("feedback_mode")).isEqualTo("ranking");
        assertThat(event(plain).getFeedbackMode()).isEqualTo("ranking");
        assertThat(event(plain).getStrength()).isNull();
    }

    /** The ids as a task lists its responses: sorted by their text (TaskRepository.createIfAbsent). */
    private static List<UUID> inTaskOrder(UUID... ids) {
        return java.util.Arrays.stream(ids).sorted(java.util.Comparator.comparing(UUID::toString)).toList();
    }

    private static List<String> strings(List<UUID> ids) {
        return ids.stream().map(UUID::toString).toList();
    }

    private static String path(TaskFixtures.CreatedTask task) {
        return "/api/v1/tasks/" + task.taskId() + "/ranking";
    }

    private static Map<String, Object> body(List<List<UUID>> ranking, Integer strength, Map<String, Integer> ratings, Map<String, Boolean> labels) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (ranking != null) {
            body.put("ranking", ranking);
        }
        if (strength != null) {
            body.put("strength", strength);
        }
        if (ratings != null) {
            body.put("ratings", ratings);
        }
        if (labels != null) {
            body.put("labels", labels);
        }
        body.put("durationMs", 1200L);
        return body;
    }

    private Map<String, Object> stored(TestApi.Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return jdbc.sql("SELECT ranking, flags, feedback_mode, strength, ratings, labels FROM rankings WHERE id = ?")
                .param(UUID.fromString(reply.json().path("rankingId").asString())).query().singleRow();
    }

    /** The outbox's RankingSubmitted of this submission, decoded as a consumer decodes it. */
    private RankingSubmitted event(TestApi.Reply reply) {
        byte[] payload = jdbc.sql("SELECT payload FROM outbox WHERE event_id = ?")
                .param(UUID.fromString(reply.json().path("eventId").asString())).query((rs, n) -> rs.getBytes(1)).single();
        try (var deserializer = new AvroEventDeserializer<>(RankingSubmitted.class)) {
            return deserializer.deserialize("rlhf.rankings.v1", payload);
        }
    }

    private int rankings(TaskFixtures.CreatedTask task) {
        return jdbc.sql("SELECT count(*) FROM rankings WHERE task_id = ?").param(task.taskId()).query(Integer.class).single();
    }

    private static void assertProblem(TestApi.Reply reply, String field, String detail) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(reply.json().path("field").asString()).as(reply.body()).isEqualTo(field);
        assertThat(reply.json().path("detail").asString()).contains(detail);
    }
}
