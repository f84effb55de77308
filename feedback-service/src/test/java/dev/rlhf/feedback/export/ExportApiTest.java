package dev.rlhf.feedback.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import tools.jackson.databind.JsonNode;

/** Every export format and filter over {@link FeedbackFixture}, whose expected numbers are worked out there and below. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportApiTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;

    FeedbackFixture f;

    @Autowired JdbcClient jdbc;

    @BeforeAll
    void data() {
        f = new FeedbackFixture(projects, annotators, prompts, tasks, rankings, gold);
    }

    @AfterAll
    void cleanUp() {
        ProjectCleanup.delete(jdbc, f.project, f.suffix);
    }

    private List<JsonNode> export(String query) {
        TestApi.Reply reply = admin().get("/api/v1/projects/" + f.project + "/export?" + query);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.body().lines().map(json::readTree).toList();
    }

    private static String id(JsonNode line, String field) {
        return line.path(field).asString();
    }

    @Test
    void pairsAreEveryRankingsStrictPairsAndTiesGiveNone() {
        TestApi.Reply reply = admin().get("/api/v1/projects/" + f.project + "/export?format=pairs");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).endsWith("}\n");
        List<JsonNode> lines = export("format=pairs");
        // alice 6 + bob 5 (r2/r3 tied) + carol 6 on P1, 1 + 1 on P2, 0 on P3 (all tied)
        assertThat(lines).hasSize(19);
        assertThat(lines).noneMatch(l -> id(l, "prompt_id").equals(f.p3.toString()));
        assertThat(lines).noneMatch(l -> Set.of(id(l, "chosen_id"), id(l, "rejected_id")).equals(Set.of(f.r2.toString(), f.r3.toString()))
                && l.path("annotator").asString().equals(f.bob));
        assertThat(lines.stream().filter(l -> l.path("annotator").asString().equals(f.bob) && id(l, "prompt_id").equals(f.p1.toString())))
                .hasSize(5);

        JsonNode first = lines.stream().filter(l -> l.path("annotator").asString().equals(f.alice)
                && id(l, "chosen_id").equals(f.r1.toString()) && id(l, "rejected_id").equals(f.r4.toString())).findFirst().orElseThrow();
        assertThat(first.path("prompt").asString()).isEqualTo("What is 2+2?");
        assertThat(first.path("chosen").asString()).isEqualTo("4");
        assertThat(first.path("rejected").asString()).isEqualTo("four");
        assertThat(first.path("chosen_policy_version").asString()).isEqualTo("v1");
        assertThat(first.path("rejected_policy_version").asString()).isEqualTo("v2");
        assertThat(first.path("chosen_model").asString()).isEqualTo("model-a");
        assertThat(first.path("source").asString()).isEqualTo("annotator");
        assertThat(first.path("submitted_at").asString()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(first.path("ranking_id").asString()).isNotBlank();

        JsonNode multiTurn = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p2.toString())).findFirst().orElseThrow();
        // HH-RLHF transcript, ending with the turn to answer, as TRL's string format expects
        assertThat(multiTurn.path("prompt").asString())
                .isEqualTo("\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke\n\nAssistant:");
        // ...and its turns, so a chat template renders the prompt as serve and the messages export do
        assertMultiTurnConversation(multiTurn);
        assertThat(first.path("conversation").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]");
        assertThat(lines).allMatch(l -> l.path("conversation").isArray() && !l.path("conversation").isEmpty());
        assertThat(export("format=pairs&consensus=true")).allMatch(l -> l.path("conversation").isArray() && !l.path("conversation").isEmpty());
    }

    /** P2's turns as the {@code conversation} field: the same name and shape as the rankings export's. */
    private void assertMultiTurnConversation(JsonNode line) {
        assertThat(line.path("conversation").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello! How can I help?\"},{\"role\":\"user\",\"content\":\"Tell me a joke\"}]");
        JsonNode ranking = export("format=rankings").stream().filter(l -> id(l, "prompt_id").equals(f.p2.toString())).findFirst().orElseThrow();
        assertThat(line.path("conversation")).isEqualTo(ranking.path("conversation"));
    }

    @Test
    void consensusPairsAreOnePerConsensusPairWithTheShareWhoAgreed() {
        List<JsonNode> lines = export("format=pairs&consensus=true");
        // P1 consensus r1 > r4 > [r2 r3] states 5 pairs; P2 (1:1) and P3 (all tied) state none
        assertThat(lines).hasSize(5);
        Set<List<String>> pairs = new HashSet<>();
        for (JsonNode l : lines) {
            pairs.add(List.of(id(l, "chosen_id"), id(l, "rejected_id")));
            assertThat(l.path("annotators").asInt()).isEqualTo(3);
            assertThat(l.path("source").asString()).isEqualTo("consensus");
            // r1 over r4: alice and carol of 3 (bob put r4 first); every other pair: all 3
            double expected = id(l, "rejected_id").equals(f.r4.toString()) ? 2.0 / 3.0 : 1.0;
            assertThat(l.path("agreement").asDouble()).isCloseTo(expected, within(1e-12));
        }
        assertThat(pairs).containsExactlyInAnyOrder(List.of(f.r1.toString(), f.r4.toString()), List.of(f.r1.toString(), f.r2.toString()),
                List.of(f.r1.toString(), f.r3.toString()), List.of(f.r4.toString(), f.r2.toString()), List.of(f.r4.toString(), f.r3.toString()));
    }

    @Test
    void messagesCarryTheWholeConversationPlusTheAssistantTurn() {
        List<JsonNode> lines = export("format=messages");
        assertThat(lines).hasSize(19);
        JsonNode l = lines.stream().filter(x -> id(x, "prompt_id").equals(f.p2.toString())
                && x.path("annotator").asString().equals(f.alice)).findFirst().orElseThrow();
        assertThat(l.has("prompt")).as("TRL's implicit-prompt format has no prompt key").isFalse();
        JsonNode chosen = l.path("chosen");
        assertThat(chosen.size()).isEqualTo(4);
        assertThat(chosen.get(0).path("role").asString()).isEqualTo("user");
        assertThat(chosen.get(0).path("content").asString()).isEqualTo("Hi");
        assertThat(chosen.get(1).path("role").asString()).isEqualTo("assistant");
        assertThat(chosen.get(3).path("role").asString()).isEqualTo("assistant");
        assertThat(chosen.get(3).path("content").asString()).isEqualTo("Why did the chicken cross the road?");
        assertThat(l.path("rejected").get(3).path("content").asString()).isEqualTo("Knock knock.");
        assertThat(export("format=messages&consensus=true")).hasSize(5);
    }

    @Test
    void rankingsAreRawWithAnnotatorTimeFlagsAndRewrite() {
        List<JsonNode> lines = export("format=rankings");
        assertThat(lines).hasSize(6);
        JsonNode alice = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p1.toString()) && l.path("annotator").asString().equals(f.alice))
                .findFirst().orElseThrow();
        assertThat(alice.path("ranking").toString()).isEqualTo("[[\"" + f.r1 + "\"],[\"" + f.r4 + "\"],[\"" + f.r2 + "\"],[\"" + f.r3 + "\"]]");
        assertThat(alice.path("flags").path(f.r3.toString()).get(0).asString()).isEqualTo("off-topic");
        assertThat(alice.path("duration_ms").asLong()).isEqualTo(10_000);
        assertThat(alice.path("submitted_at").asString()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(alice.path("responses").size()).isEqualTo(4);
        assertThat(alice.path("responses").get(0).path("text").asString()).isEqualTo("4");
        assertThat(alice.path("task_id").asString()).isNotBlank();
        JsonNode bob = lines.stream().filter(l -> l.path("annotator").asString().equals(f.bob) && id(l, "prompt_id").equals(f.p1.toString()))
                .findFirst().orElseThrow();
        assertThat(bob.path("rewrite").asString()).isEqualTo("The answer is 4.");
        assertThat(bob.path("ranking").get(2).size()).isEqualTo(2);
        JsonNode none = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p3.toString())).findFirst().orElseThrow();
        assertThat(none.path("none_acceptable").asBoolean()).isTrue();
    }

    @Test
    void consensusIsOneLinePerPromptWithItsAgreement() {
        List<JsonNode> lines = export("format=consensus");
        assertThat(lines).hasSize(3);
        JsonNode p1 = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p1.toString())).findFirst().orElseThrow();
        // r1->r4 2:1, r1, r4 over r2 and r3 3:0, r2 vs r3 1:1 -> r1 > r4 > [r2 r3] (tie in first-appearance order)
        assertThat(p1.path("ranking").toString())
                .isEqualTo("[[\"" + f.r1 + "\"],[\"" + f.r4 + "\"],[\"" + f.r2 + "\",\"" + f.r3 + "\"]]");
        // support: r1>r4 2/3 + four pairs 3/3 = 14 / 15
        assertThat(p1.path("agreement").asDouble()).isCloseTo(14.0 / 15.0, within(1e-12));
        // alice-bob 4/5, alice-carol 5/6, bob-carol 4/5 -> 13 / 16
        assertThat(p1.path("pairwise_agreement").asDouble()).isCloseTo(13.0 / 16.0, within(1e-12));
        assertThat(p1.path("annotators").asInt()).isEqualTo(3);
        JsonNode p2 = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p2.toString())).findFirst().orElseThrow();
        assertThat(p2.path("ranking").size()).isEqualTo(1);
        assertThat(p2.path("agreement").isNull()).isTrue();
        assertThat(p2.path("pairwise_agreement").asDouble()).isEqualTo(0.0);
        JsonNode p3 = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p3.toString())).findFirst().orElseThrow();
        assertThat(p3.path("pairwise_agreement").isNull()).isTrue();
    }

    @Test
    void sftIsTheRewrites() {
        List<JsonNode> lines = export("format=sft");
        assertThat(lines).hasSize(2);
        JsonNode single = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p1.toString())).findFirst().orElseThrow();
        assertThat(single.path("prompt").asString()).isEqualTo("What is 2+2?");
        assertThat(single.path("completion").asString()).isEqualTo("The answer is 4.");
        assertThat(single.path("annotator").asString()).isEqualTo(f.bob);
        assertThat(single.path("conversation").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]");
        JsonNode multiTurn = lines.stream().filter(l -> id(l, "prompt_id").equals(f.p2.toString())).findFirst().orElseThrow();
        assertThat(multiTurn.path("prompt").asString())
                .isEqualTo("\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke\n\nAssistant:");
        assertThat(multiTurn.path("completion").asString()).isEqualTo(FeedbackFixture.MULTI_TURN_REWRITE);
        assertThat(multiTurn.path("annotator").asString()).isEqualTo(f.alice);
        assertMultiTurnConversation(multiTurn);
    }

    @Test
    void filtersByTimePolicyVersionAndAgreement() {
        // from T0+1h drops alice's P1 ranking (6 pairs): 19 - 6 = 13
        assertThat(export("format=pairs&from=2026-03-01T11:00:00Z")).hasSize(13);
        // to is exclusive: before T0+1h only alice's P1 ranking
        assertThat(export("format=pairs&to=2026-03-01T11:00:00Z")).hasSize(6);
        assertThat(export("format=rankings&from=2026-03-01&to=2026-03-02")).hasSize(6);
        assertThat(export("format=rankings&from=2026-03-02")).isEmpty();
        // only P2's responses are v3: its 2 rankings' 2 pairs; v1 is in P1 and P3: 17 + 0
        assertThat(export("format=pairs&policyVersion=v3")).hasSize(2).allMatch(l -> id(l, "prompt_id").equals(f.p2.toString()));
        assertThat(export("format=pairs&policyVersion=v1")).hasSize(17);
        assertThat(export("format=rankings&policyVersion=v1")).hasSize(4);
        assertThat(export("format=pairs&policyVersion=nope")).isEmpty();
        // agreement: P1 14/15 = 0.933; P2 and P3 have none, so any minimum drops them
        assertThat(export("format=pairs&minAgreement=0.9")).hasSize(17);
        assertThat(export("format=consensus&minAgreement=0")).hasSize(1);
        assertThat(export("format=pairs&minAgreement=0.95")).isEmpty();
        // filters combine: agreement is computed over the rankings left after the time filter
        // (bob r4>r1>[r2 r3], carol r1>r4>r3>r2: r1 vs r4 1:1, r2 vs r3 0:1 -> support 9/10 >= 0.9)
        assertThat(export("format=consensus&from=2026-03-01T11:00:00Z&minAgreement=0.9")).hasSize(1);
    }

    @Test
    void badParametersAreRejectedByName() {
        String base = "/api/v1/projects/" + f.project + "/export?";
        for (var c : List.of(List.of("format=xml", "format"), List.of("", "format"), List.of("format=pairs&from=yesterday", "from"),
                List.of("format=pairs&to=2026-13-01", "to"), List.of("format=pairs&minAgreement=2", "minAgreement"),
                List.of("format=pairs&minAgreement=high", "minAgreement"), List.of("format=pairs&consensus=maybe", "consensus"),
                List.of("format=rankings&consensus=true", "consensus"))) {
            TestApi.Reply reply = admin().get(base + c.get(0));
            assertThat(reply.status()).as(c.get(0)).isEqualTo(400);
            assertThat(reply.json().path("detail").asString()).as(c.get(0)).startsWith(c.get(1));
        }
        assertThat(admin().get("/api/v1/projects/" + UUID.randomUUID() + "/export?format=pairs").status()).isEqualTo(404);
    }

    @Test
    void onlyAdminsExportOrSeeStats() {
        TestApi alice = api(f.alice, f.password);
        assertThat(alice.get("/api/v1/projects/" + f.project + "/export?format=pairs").status()).isEqualTo(403);
        assertThat(alice.get("/api/v1/projects/" + f.project + "/stats").status()).isEqualTo(403);
        assertThat(api(f.alice, "wrong-password").get("/api/v1/projects/" + f.project + "/export?format=pairs").status()).isEqualTo(401);
    }
}
