package dev.rlhf.feedback.export;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import dev.rlhf.feedback.task.TaskRepository;

/**
 * A small project written straight through the repositories (no import or submission code):
 * <pre>
 * P1 "What is 2+2?"   r1 "4" (v1)  r2 "5" (v1)  r3 "22" (v2)  r4 "four" (v2); task t1 needs 3; gold r1 > r4 > r2 > r3
 *    alice  r1 > r4 > r2 > r3          at T0     10 s, flags r3: off-topic      6 pairs
 *    bob    r4 > r1 > [r2 r3]          at T0+1h  20 s, rewrite                  5 pairs (tie gives none)
 *    carol  r1 > r4 > r3 > r2          at T0+2h  30 s                           6 pairs
 * P2 Hi / Hello! How can I help? / Tell me a joke   s1, s2 (v3); task t2 needs 2
 *    alice  s1 > s2                    at T0+3h  12 s, rewrite                  1 pair
 *    bob    s2 > s1                    at T0+4h  22 s                           1 pair
 * P3 "Pick one"   u1, u2 (v1); task t3 needs 2
 *    alice  [u1 u2]                    at T0+5h  14 s, none acceptable          0 pairs
 * </pre>
 */
public final class FeedbackFixture {

    public static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    /** Alice's rewrite on the multi-turn prompt P2: the sft export's multi-turn line. */
    public static final String MULTI_TURN_REWRITE = "Why did the scarecrow win an award? He was outstanding in his field.";

    public final String suffix;
    public final UUID project;
    public final String alice;
    public final String bob;
    public final String carol;
    public final String password = "fixture-password";
    public final UUID p1, r1, r2, r3, r4, p2, s1, s2, p3, u1, u2;

    public FeedbackFixture(ProjectService projects, AnnotatorService annotators, PromptRepository prompts, TaskRepository tasks,
                    RankingRepository rankings, GoldRankingRepository gold) {
        suffix = UUID.randomUUID().toString().substring(0, 8);
        project = projects.create(new ProjectService.ProjectSettings("exports-" + suffix, "Rank by helpfulness.", 4, 3, null)).id();
        alice = "alice-" + suffix;
        bob = "bob-" + suffix;
        carol = "carol-" + suffix;
        UUID a = annotators.create(alice, password, EnumSet.of(Annotator.Role.ANNOTATOR)).id();
        UUID b = annotators.create(bob, password, EnumSet.of(Annotator.Role.ANNOTATOR)).id();
        UUID c = annotators.create(carol, password, EnumSet.of(Annotator.Role.ANNOTATOR)).id();

        p1 = prompts.insertPromptIfAbsent(project, Conversation.ofUser("What is 2+2?"), "prompts", null).id();
        r1 = prompts.insertResponseIfAbsent(p1, "4", "model-a", "v1", null).id();
        r2 = prompts.insertResponseIfAbsent(p1, "5", "model-b", "v1", null).id();
        r3 = prompts.insertResponseIfAbsent(p1, "22", "model-c", "v2", null).id();
        r4 = prompts.insertResponseIfAbsent(p1, "four", "model-a", "v2", null).id();
        UUID t1 = tasks.createIfAbsent(project, p1, List.of(r1, r2, r3, r4), 3);
        gold.set(p1, List.of(List.of(r1), List.of(r4), List.of(r2), List.of(r3)));
        rankings.insert(ranking(t1, p1, a, List.of(List.of(r1), List.of(r4), List.of(r2), List.of(r3)), Map.of(r3, List.of("off-topic")),
                false, null, 10_000, T0));
        rankings.insert(ranking(t1, p1, b, List.of(List.of(r4), List.of(r1), List.of(r2, r3)), Map.of(), false, "The answer is 4.",
                20_000, T0.plus(Duration.ofHours(1))));
        rankings.insert(ranking(t1, p1, c, List.of(List.of(r1), List.of(r4), List.of(r3), List.of(r2)), Map.of(), false, null,
                30_000, T0.plus(Duration.ofHours(2))));

        p2 = prompts.insertPromptIfAbsent(project, new Conversation(List.of(new Turn(Turn.USER, "Hi"),
                new Turn(Turn.ASSISTANT, "Hello! How can I help?"), new Turn(Turn.USER, "Tell me a joke"))), "hh", null).id();
        s1 = prompts.insertResponseIfAbsent(p2, "Why did the chicken cross the road?", "model-a", "v3", -12.5).id();
        s2 = prompts.insertResponseIfAbsent(p2, "Knock knock.", "model-b", "v3", -3.0).id();
        UUID t2 = tasks.createIfAbsent(project, p2, List.of(s1, s2), 2);
        rankings.insert(ranking(t2, p2, a, List.of(List.of(s1), List.of(s2)), Map.of(), false, MULTI_TURN_REWRITE, 12_000,
                T0.plus(Duration.ofHours(3))));
        rankings.insert(ranking(t2, p2, b, List.of(List.of(s2), List.of(s1)), Map.of(), false, null, 22_000, T0.plus(Duration.ofHours(4))));

        p3 = prompts.insertPromptIfAbsent(project, Conversation.ofUser("Pick one"), "prompts", null).id();
        u1 = prompts.insertResponseIfAbsent(p3, "one", "model-a", "v1", null).id();
        u2 = prompts.insertResponseIfAbsent(p3, "two", "model-b", "v1", null).id();
        UUID t3 = tasks.createIfAbsent(project, p3, List.of(u1, u2), 2);
        rankings.insert(ranking(t3, p3, a, List.of(List.of(u1, u2)), Map.of(), true, null, 14_000, T0.plus(Duration.ofHours(5))));
    }

    private Ranking ranking(UUID task, UUID prompt, UUID annotator, List<List<UUID>> groups, Map<UUID, List<String>> flags,
                            boolean noneAcceptable, String rewrite, long durationMs, Instant at) {
        return new Ranking(UUID.randomUUID(), UUID.randomUUID(), task, null, prompt, project, annotator, Ranking.ANNOTATOR, groups, flags,
                noneAcceptable, rewrite, durationMs, at);
    }
}
