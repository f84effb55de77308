package dev.rlhf.feedback.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
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

/**
 * The graded modes in the exports: {@code margin} on pair lines, the grades on {@code rankings} lines and
 * the {@code kto} labels, over {@link GradedFeedbackFixture} (one project per mode) and {@link FeedbackFixture}
 * (a ranking project), whose expected lines are worked out there and below.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GradedExportApiTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;
    @Autowired JdbcClient jdbc;

    GradedFeedbackFixture g;
    FeedbackFixture f;
    /** Response and account ids by the short names the fixtures' tables use, so expected lines read like them. */
    Map<String, String> names;

    @BeforeAll
    void data() {
        g = new GradedFeedbackFixture(projects, annotators, prompts, tasks, rankings);
        f = new FeedbackFixture(projects, annotators, prompts, tasks, rankings, gold);
        names = new java.util.HashMap<>();
        for (Object[] e : new Object[][] {{g.a, "a"}, {g.b, "b"}, {g.x, "x"}, {g.y, "y"}, {g.z, "z"}, {g.h1, "h1"}, {g.h2, "h2"},
                {g.h3, "h3"}, {f.r1, "r1"}, {f.r2, "r2"}, {f.r3, "r3"}, {f.r4, "r4"}, {f.s1, "s1"}, {f.s2, "s2"}, {f.u1, "u1"}, {f.u2, "u2"}}) {
            names.put(e[0].toString(), (String) e[1]);
        }
        for (String who : List.of(g.alice, g.bob, g.carol, f.alice, f.bob, f.carol)) {
            names.put(who, who.substring(0, who.indexOf('-')));
        }
    }

    @AfterAll
    void cleanUp() {
        g.delete(jdbc);
        ProjectCleanup.delete(jdbc, f.project, f.suffix);
    }

    private List<JsonNode> export(UUID project, String query) {
        TestApi.Reply reply = admin().get("/api/v1/projects/" + project + "/export?" + query);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.body().lines().map(json::readTree).toList();
    }

    private String name(JsonNode line, String field) {
        return names.getOrDefault(line.path(field).asString(), line.path(field).asString());
    }

    /** "alice a>b 2.0": who preferred which over which, and the margin, or "-" when the line has none. */
    private List<String> pairs(UUID project, String format) {
        return export(project, "format=" + format).stream().map(l -> name(l, "annotator") + " " + name(l, "chosen_id") + ">"
                + name(l, "rejected_id") + " " + (l.has("margin") ? l.path("margin").asDouble() : "-")).toList();
    }

    /** "alice x true": who labelled which response desirable (true) or undesirable (false). */
    private List<String> kto(UUID project, String query) {
        return export(project, "format=kto" + query).stream().map(l -> name(l, "annotator") + " " + name(l, "response_id") + " "
                + l.path("label").asBoolean()).toList();
    }

    @Test
    void pairsCarryTheGradedStrengthOrTheRatingDifferenceAsMargin() {
        // alice a >> b: strength 2; bob b > a: strength 1; carol a ~ b: one tie group, no pair
        assertThat(pairs(g.pairwise, "pairs")).containsExactly("alice a>b 2.0", "bob b>a 1.0");
        // alice x 6 > z 4 > y 2: 6-4, 6-2, 4-2; bob [x 5, z 5] > y 3: 5-3 twice (x and z tie: no pair)
        assertThat(pairs(g.rating, "pairs")).containsExactly("alice x>z 2.0", "alice x>y 4.0", "alice z>y 2.0", "bob x>y 2.0", "bob z>y 2.0");
        // thumbs grade nothing beyond up over down: no margin; bob's all-down is one tie group
        assertThat(pairs(g.binary, "pairs")).containsExactly("alice h1>h2 -", "alice h3>h2 -");
        // a plain ranking project: no line has a margin
        assertThat(pairs(f.project, "pairs")).hasSize(19).allMatch(l -> l.endsWith(" -"));
        // messages are the same pairs, with the same margins
        assertThat(pairs(g.rating, "messages")).containsExactly("alice x>z 2.0", "alice x>y 4.0", "alice z>y 2.0", "bob x>y 2.0", "bob z>y 2.0");
        assertThat(pairs(g.pairwise, "messages")).containsExactly("alice a>b 2.0", "bob b>a 1.0");
    }

    @Test
    void consensusPairsHaveNoMargin() {
        // rating consensus: x over y 2:0, z over y 2:0, x vs z 1:0 (bob tied them) -> x > z > y, 3 pairs
        List<JsonNode> lines = export(g.rating, "format=pairs&consensus=true");
        assertThat(lines).hasSize(3).noneMatch(l -> l.has("margin"));
        // pairwise: a over b 1:1, the tie is no vote -> one tie group, no pair
        assertThat(export(g.pairwise, "format=pairs&consensus=true")).isEmpty();
    }

    @Test
    void rankingsCarryTheModeAndWhatTheAnnotatorGave() {
        List<JsonNode> pairwise = export(g.pairwise, "format=rankings");
        assertThat(pairwise.stream().map(l -> name(l, "annotator") + " " + l.path("feedback_mode").asString() + " "
                + l.path("strength") + " " + l.path("ratings") + " " + l.path("labels")))
                .containsExactly("alice pairwise 2 {} {}", "bob pairwise 1 {} {}", "carol pairwise 0 {} {}");
        assertThat(pairwise.get(2).path("ranking").toString()).isEqualTo("[[\"" + g.a + "\",\"" + g.b + "\"]]");

        List<JsonNode> rating = export(g.rating, "format=rankings");
        // ratings in rank order: alice x 6, z 4, y 2; bob x 5, z 5, y 3
        assertThat(rating.get(0).path("ratings").toString()).isEqualTo("{\"" + g.x + "\":6,\"" + g.z + "\":4,\"" + g.y + "\":2}");
        assertThat(rating.get(1).path("ratings").toString()).isEqualTo("{\"" + g.x + "\":5,\"" + g.z + "\":5,\"" + g.y + "\":3}");
        assertThat(rating.get(1).path("ranking").toString()).isEqualTo("[[\"" + g.x + "\",\"" + g.z + "\"],[\"" + g.y + "\"]]");
        assertThat(rating).allMatch(l -> l.path("feedback_mode").asString().equals("rating") && l.path("strength").isNull()
                && l.path("labels").isObject() && l.path("labels").isEmpty());

        List<JsonNode> binary = export(g.binary, "format=rankings");
        assertThat(binary.get(0).path("labels").toString())
                .isEqualTo("{\"" + g.h1 + "\":true,\"" + g.h3 + "\":true,\"" + g.h2 + "\":false}");
        assertThat(binary.get(1).path("labels").toString())
                .isEqualTo("{\"" + g.h1 + "\":false,\"" + g.h2 + "\":false,\"" + g.h3 + "\":false}");
        assertThat(binary).allMatch(l -> l.path("feedback_mode").asString().equals("binary") && l.path("strength").isNull()
                && l.path("ratings").isEmpty());

        // a ranking project's lines: mode ranking, nothing graded
        assertThat(export(f.project, "format=rankings")).hasSize(6).allMatch(l -> l.path("feedback_mode").asString().equals("ranking")
                && l.path("strength").isNull() && l.path("ratings").toString().equals("{}") && l.path("labels").toString().equals("{}"));
    }

    @Test
    void ktoLabelsThumbsAsGivenRatingsByThresholdAndRankingsTopVersusBottom() {
        // thumbs as given, in rank order (up group first)
        assertThat(kto(g.binary, "")).containsExactly("alice h1 true", "alice h3 true", "alice h2 false",
                "bob h1 false", "bob h2 false", "bob h3 false");
        // >= 5 desirable, <= 3 undesirable: alice's z (4) is left out
        assertThat(kto(g.rating, "")).containsExactly("alice x true", "alice y false", "bob x true", "bob z true", "bob y false");
        // a graded pair: the chosen desirable, the other undesirable; "about the same" (carol) labels neither
        assertThat(kto(g.pairwise, "")).containsExactly("alice a true", "alice b false", "bob b true", "bob a false");
        // rankings: top group desirable, bottom group undesirable, the middle left out (TRL's unpair_preference_dataset
        // takes chosen and rejected of each pair). P1 alice r1>r4>r2>r3, bob r4>r1>[r2 r3], carol r1>r4>r3>r2;
        // P2 alice s1>s2, bob s2>s1; P3 alice [u1 u2] (one group: nothing). Prompts come in id order, so compare as a set.
        assertThat(kto(f.project, "")).containsExactlyInAnyOrder("alice r1 true", "alice r3 false", "bob r4 true", "bob r2 false",
                "bob r3 false", "carol r1 true", "carol r2 false", "alice s1 true", "alice s2 false", "bob s2 true", "bob s1 false");
    }

    @Test
    void aKtoLineIsTrlsPromptCompletionLabelWithItsProvenance() {
        JsonNode first = export(g.binary, "format=kto").getFirst();
        String expected = "{\"prompt\":\"Say hi\",\"completion\":\"Hello!\",\"label\":true,"
                + "\"conversation\":[{\"role\":\"user\",\"content\":\"Say hi\"}],"
                + "\"prompt_id\":\"" + g.h + "\",\"response_id\":\"" + g.h1 + "\",\"model\":\"model-a\",\"policy_version\":\"v1\","
                + "\"ranking_id\":\"" + g.aliceOnH + "\",\"task_id\":\"" + g.binaryTask + "\",\"annotator\":\"" + g.alice + "\","
                + "\"annotator_id\":\"" + g.aliceId + "\",\"feedback_mode\":\"binary\",\"source\":\"annotator\","
                + "\"submitted_at\":\"2026-03-02T10:00:00Z\"}";
        assertThat(first).isEqualTo(json.readTree(expected));
        // field order too: prompt, completion, label first, as TRL's docs show the format
        assertThat(first.toString()).isEqualTo(json.readTree(expected).toString());
        JsonNode ranked = export(f.project, "format=kto").stream().filter(l -> name(l, "response_id").equals("s1")
                && name(l, "annotator").equals("alice")).findFirst().orElseThrow();
        assertThat(ranked.path("prompt").asString())
                .isEqualTo("\n\nHuman: Hi\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke\n\nAssistant:");
        assertThat(ranked.path("conversation")).hasSize(3);
        assertThat(ranked.path("feedback_mode").asString()).isEqualTo("ranking");
        assertThat(ranked.path("completion").asString()).isEqualTo("Why did the chicken cross the road?");
    }

    @Test
    void ktoTakesTheSameFiltersAsTheOtherFormats() {
        // from T0+1h: bob's thumbs only (alice's at T0 dropped)
        assertThat(kto(g.binary, "&from=2026-03-02T11:00:00Z")).containsExactly("bob h1 false", "bob h2 false", "bob h3 false");
        assertThat(kto(g.binary, "&to=2026-03-02T11:00:00Z")).hasSize(3).allMatch(l -> l.startsWith("alice "));
        // v2 is only z among the rating prompt's responses, and both rankings rank z: both kept
        assertThat(kto(g.rating, "&policyVersion=v2")).hasSize(5);
        assertThat(kto(g.rating, "&policyVersion=nope")).isEmpty();
        // agreement: the rating prompt's consensus x > z > y is backed by x>z 1/2 (bob tied them), x>y 2/2, z>y 2/2 = 5/6
        assertThat(kto(g.rating, "&minAgreement=0.83")).hasSize(5);
        assertThat(kto(g.rating, "&minAgreement=0.84")).isEmpty();
        // P1 of the ranking fixture has 14/15 < 0.95; P2 and P3 have none
        assertThat(kto(f.project, "&minAgreement=0.95")).isEmpty();
        TestApi.Reply reply = admin().get("/api/v1/projects/" + g.binary + "/export?format=kto&consensus=true");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().path("detail").asString()).startsWith("consensus");
        TestApi.Reply unknown = admin().get("/api/v1/projects/" + g.binary + "/export?format=thumbs");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("detail").asString()).contains("kto");
    }
}
