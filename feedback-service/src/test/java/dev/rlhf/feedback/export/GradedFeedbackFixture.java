package dev.rlhf.feedback.export;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.Grades;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * One project per graded feedback mode, written straight through the repositories (no submission code):
 * each ranking stores the grades as a submission does, and tie groups derived from them as the contract
 * says ({@link GradedFeedback#groupsFromRatings}, {@link GradedFeedback#groupsFromLabels}; a graded pair's
 * choice as two groups, "about the same" as one). What each export must give, worked out by hand:
 * <pre>
 * pairwise (K = 2)  Q "Capital of France?"  a "Paris" (model-a, v1)  b "Lyon" (model-b, v1)
 *    alice  a >> b (strength 2)   at T0      groups [a] [b]     pair a>b margin 2.0          kto a +, b -
 *    bob    b > a  (strength 1)   at T0+1h   groups [b] [a]     pair b>a margin 1.0          kto b +, a -
 *    carol  a ~ b  (strength 0)   at T0+2h   groups [a b]       no pair                      no kto line
 * rating (K = 3)    C "Name a colour"  x "blue" (v1)  y "banana" (v1)  z "red" (v2)
 *    alice  x 6, y 2, z 4         at T0      groups [x] [z] [y] pairs x>z 2.0, x>y 4.0, z>y 2.0   kto x + (6 >= 5), y - (2 <= 3); z (4) left out
 *    bob    x 5, y 3, z 5         at T0+1h   groups [x z] [y]   pairs x>y 2.0, z>y 2.0            kto x +, z +, y -
 * binary (K = 3)    H "Say hi"  h1 "Hello!"  h2 "Go away."  h3 "Hi there."
 *    alice  h1 up, h2 down, h3 up at T0      groups [h1 h3] [h2]  pairs h1>h2, h3>h2 (no margin) kto h1 +, h3 +, h2 -
 *    bob    all down              at T0+1h   groups [h1 h2 h3]    no pair                        kto h1 -, h2 -, h3 -
 * </pre>
 * Rankings are on 2026-03-02 (T0 = 10:00 UTC), a day after {@link FeedbackFixture}'s.
 */
public final class GradedFeedbackFixture {

    public static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    public final String suffix;
    public final String alice;
    public final String bob;
    public final String carol;
    public final UUID aliceId, bobId, carolId;
    public final UUID pairwise, rating, binary;
    public final UUID q, a, b, colour, x, y, z, h, h1, h2, h3;
    public final UUID pairwiseTask, ratingTask, binaryTask;
    public final UUID aliceOnQ, bobOnQ, carolOnQ, aliceOnC, bobOnC, aliceOnH, bobOnH;

    public GradedFeedbackFixture(ProjectService projects, AnnotatorService annotators, PromptRepository prompts, TaskRepository tasks,
                                 RankingRepository rankings) {
        suffix = UUID.randomUUID().toString().substring(0, 8);
        alice = "alice-" + suffix;
        bob = "bob-" + suffix;
        carol = "carol-" + suffix;
        aliceId = annotators.create(alice, "fixture-password", EnumSet.of(Annotator.Role.ANNOTATOR)).id();
        bobId = annotators.create(bob, "fixture-password", EnumSet.of(Annotator.Role.ANNOTATOR)).id();
        carolId = annotators.create(carol, "fixture-password", EnumSet.of(Annotator.Role.ANNOTATOR)).id();

        pairwise = project(projects, "pairwise", 2, 3);
        q = prompts.insertPromptIfAbsent(pairwise, Conversation.ofUser("Capital of France?"), "prompts", null).id();
        a = prompts.insertResponseIfAbsent(q, "Paris", "model-a", "v1", null).id();
        b = prompts.insertResponseIfAbsent(q, "Lyon", "model-b", "v1", null).id();
        pairwiseTask = tasks.createIfAbsent(pairwise, q, List.of(a, b), 3);
        aliceOnQ = insert(rankings, pairwiseTask, q, pairwise, aliceId, List.of(List.of(a), List.of(b)),
                new Grades(FeedbackMode.PAIRWISE, GradedFeedback.MUCH_BETTER, Map.of(), Map.of()), T0);
        bobOnQ = insert(rankings, pairwiseTask, q, pairwise, bobId, List.of(List.of(b), List.of(a)),
                new Grades(FeedbackMode.PAIRWISE, GradedFeedback.BETTER, Map.of(), Map.of()), T0.plus(Duration.ofHours(1)));
        carolOnQ = insert(rankings, pairwiseTask, q, pairwise, carolId, List.of(List.of(a, b)),
                new Grades(FeedbackMode.PAIRWISE, GradedFeedback.ABOUT_THE_SAME, Map.of(), Map.of()), T0.plus(Duration.ofHours(2)));

        rating = project(projects, "rating", 3, 2);
        colour = prompts.insertPromptIfAbsent(rating, Conversation.ofUser("Name a colour"), "prompts", null).id();
        x = prompts.insertResponseIfAbsent(colour, "blue", "model-a", "v1", null).id();
        y = prompts.insertResponseIfAbsent(colour, "banana", "model-b", "v1", null).id();
        z = prompts.insertResponseIfAbsent(colour, "red", "model-a", "v2", null).id();
        ratingTask = tasks.createIfAbsent(rating, colour, List.of(x, y, z), 2);
        aliceOnC = insertRatings(rankings, ratingTask, colour, rating, aliceId, ordered(x, 6, y, 2, z, 4), T0);
        bobOnC = insertRatings(rankings, ratingTask, colour, rating, bobId, ordered(x, 5, y, 3, z, 5), T0.plus(Duration.ofHours(1)));

        binary = project(projects, "binary", 3, 2);
        h = prompts.insertPromptIfAbsent(binary, Conversation.ofUser("Say hi"), "prompts", null).id();
        h1 = prompts.insertResponseIfAbsent(h, "Hello!", "model-a", "v1", null).id();
        h2 = prompts.insertResponseIfAbsent(h, "Go away.", "model-b", "v1", null).id();
        h3 = prompts.insertResponseIfAbsent(h, "Hi there.", "model-a", "v2", null).id();
        binaryTask = tasks.createIfAbsent(binary, h, List.of(h1, h2, h3), 2);
        aliceOnH = insertLabels(rankings, binaryTask, h, binary, aliceId, ordered(h1, true, h2, false, h3, true), T0);
        bobOnH = insertLabels(rankings, binaryTask, h, binary, bobId, ordered(h1, false, h2, false, h3, false), T0.plus(Duration.ofHours(1)));
    }

    /** Deletes the three projects, then the accounts (which their rankings reference). */
    public void delete(JdbcClient jdbc) {
        ProjectCleanup.delete(jdbc, pairwise, null);
        ProjectCleanup.delete(jdbc, rating, null);
        ProjectCleanup.delete(jdbc, binary, suffix);
    }

    private UUID project(ProjectService projects, String mode, int responsesPerTask, int annotatorsPerTask) {
        return projects.create(new ProjectService.ProjectSettings("graded-" + mode + "-" + suffix, "Judge the responses.", responsesPerTask,
                annotatorsPerTask, null, mode)).id();
    }

    private static UUID insertRatings(RankingRepository rankings, UUID task, UUID prompt, UUID project, UUID annotator,
                                      Map<UUID, Integer> ratings, Instant at) {
        return insert(rankings, task, prompt, project, annotator, GradedFeedback.groupsFromRatings(ratings),
                new Grades(FeedbackMode.RATING, null, ratings, Map.of()), at);
    }

    private static UUID insertLabels(RankingRepository rankings, UUID task, UUID prompt, UUID project, UUID annotator,
                                     Map<UUID, Boolean> labels, Instant at) {
        return insert(rankings, task, prompt, project, annotator, GradedFeedback.groupsFromLabels(labels),
                new Grades(FeedbackMode.BINARY, null, Map.of(), labels), at);
    }

    private static UUID insert(RankingRepository rankings, UUID task, UUID prompt, UUID project, UUID annotator, List<List<UUID>> groups,
                               Grades grades, Instant at) {
        UUID id = UUID.randomUUID();
        rankings.insert(new Ranking(id, UUID.randomUUID(), task, null, prompt, project, annotator, Ranking.ANNOTATOR, groups, Map.of(),
                false, null, 5_000L, at, grades));
        return id;
    }

    /** A map in the order given, so that groups derived from it list tied ids in that order. */
    @SuppressWarnings("unchecked")
    private static <V> Map<UUID, V> ordered(Object... idsAndValues) {
        Map<UUID, V> map = new LinkedHashMap<>();
        for (int i = 0; i < idsAndValues.length; i += 2) {
            map.put((UUID) idsAndValues[i], (V) idsAndValues[i + 1]);
        }
        return map;
    }
}
