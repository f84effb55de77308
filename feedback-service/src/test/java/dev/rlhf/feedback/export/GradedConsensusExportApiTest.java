package dev.rlhf.feedback.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.InputStream;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code consensus} export line by feedback mode ({@code GradedConsensus}) over {@link GradedFeedbackFixture}
 * (its table gives the grades) and {@link FeedbackFixture} (a ranking project).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GradedConsensusExportApiTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;
    @Autowired JdbcClient jdbc;

    GradedFeedbackFixture g;
    FeedbackFixture f;

    @BeforeAll
    void data() {
        g = new GradedFeedbackFixture(projects, annotators, prompts, tasks, rankings);
        f = new FeedbackFixture(projects, annotators, prompts, tasks, rankings, gold);
    }

    @AfterAll
    void cleanUp() {
        g.delete(jdbc);
        ProjectCleanup.delete(jdbc, f.project, f.suffix);
    }

    @Test
    void ratingConsensusRanksByMeanRating() {
        JsonNode line = consensus(g.rating);
        assertThat(line.path("feedback_mode").asString()).isEqualTo("rating");
        // alice x 6, y 2, z 4; bob x 5, y 3, z 5: means x 5.5, y 2.5, z 4.5
        assertThat(line.path("mean_ratings").path(g.x.toString()).asDouble()).isEqualTo(5.5);
        assertThat(line.path("mean_ratings").path(g.y.toString()).asDouble()).isEqualTo(2.5);
        assertThat(line.path("mean_ratings").path(g.z.toString()).asDouble()).isEqualTo(4.5);
        assertThat(ranking(line)).containsExactly(List.of(g.x.toString()), List.of(g.z.toString()), List.of(g.y.toString()));
        assertThat(line.path("mean_strength").isNull()).isTrue();
        assertThat(line.path("majority_labels").size()).isZero();
        // support of x > z > y: x>z alice yes, bob tie (no); x>y 2 of 2; z>y 2 of 2 -> 5 / 6
        assertThat(line.path("agreement").asDouble()).isCloseTo(5.0 / 6.0, within(1e-12));
    }

    @Test
    void binaryConsensusIsTheMajorityThumbWithTiesUnlabelled() {
        JsonNode line = consensus(g.binary);
        assertThat(line.path("feedback_mode").asString()).isEqualTo("binary");
        // h1 up/down: no majority; h2 down/down: down; h3 up/down: no majority
        JsonNode majority = line.path("majority_labels");
        assertThat(majority.size()).isEqualTo(3);
        assertThat(majority.path(g.h1.toString()).isNull()).isTrue();
        assertThat(majority.path(g.h2.toString()).asBoolean(true)).isFalse();
        assertThat(majority.path(g.h3.toString()).isNull()).isTrue();
        // no majority-up group; then no majority (h1, h3 in first-appearance order), then majority down
        assertThat(ranking(line)).containsExactly(List.of(g.h1.toString(), g.h3.toString()), List.of(g.h2.toString()));
        assertThat(line.path("mean_ratings").size()).isZero();
    }

    @Test
    void pairwiseConsensusCarriesTheMeanSignedStrength() {
        JsonNode line = consensus(g.pairwise);
        assertThat(line.path("feedback_mode").asString()).isEqualTo("pairwise");
        // a over b 1:1 (carol's tie is no vote): one tie group, a listed first; toward a: alice +2, bob -1, carol 0 -> 1/3
        assertThat(ranking(line)).containsExactly(List.of(g.a.toString(), g.b.toString()));
        assertThat(line.path("mean_strength").asDouble()).isCloseTo(1.0 / 3.0, within(1e-12));
    }

    @Test
    void rankingProjectsKeepRankedPairsAndCarryNoGrades() {
        List<JsonNode> lines = export(f.project);
        assertThat(lines).hasSize(3).allSatisfy(l -> {
            assertThat(l.path("feedback_mode").asString()).isEqualTo("ranking");
            assertThat(l.path("mean_strength").isNull()).isTrue();
            assertThat(l.path("mean_ratings").size()).isZero();
            assertThat(l.path("majority_labels").size()).isZero();
        });
        JsonNode p1 = lines.stream().filter(l -> l.path("prompt_id").asString().equals(f.p1.toString())).findFirst().orElseThrow();
        // ranked pairs as before the modes (ExportApiTest): r1->r4 2:1, both over r2 and r3 3:0, r2 vs r3 1:1 -> r1 > r4 > [r2 r3]
        assertThat(ranking(p1)).containsExactly(List.of(f.r1.toString()), List.of(f.r4.toString()), List.of(f.r2.toString(), f.r3.toString()));
    }

    @Test
    void everyConsensusLineMatchesTheSchema() throws Exception {
        Schema schema;
        try (InputStream in = getClass().getResourceAsStream("/export-schemas/consensus.schema.json")) {
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
        for (UUID project : List.of(g.pairwise, g.rating, g.binary, f.project)) {
            for (JsonNode line : export(project)) {
                assertThat(schema.validate(line)).as(line.toString()).isEmpty();
            }
        }
        ObjectNode rating = (ObjectNode) consensus(g.rating);
        ((ObjectNode) rating.path("mean_ratings")).put(g.x.toString(), 8.5);
        assertThat(schema.validate(rating)).as("a mean rating off the 1..7 scale").isNotEmpty();
        ObjectNode binary = (ObjectNode) consensus(g.binary);
        ((ObjectNode) binary.path("majority_labels")).put(g.h1.toString(), "up");
        assertThat(schema.validate(binary)).as("a majority that is no thumb").isNotEmpty();
    }

    private JsonNode consensus(UUID project) {
        List<JsonNode> lines = export(project);
        assertThat(lines).hasSize(1);
        return lines.getFirst();
    }

    private List<JsonNode> export(UUID project) {
        TestApi.Reply reply = admin().get("/api/v1/projects/" + project + "/export?format=consensus");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.body().lines().map(json::readTree).toList();
    }

    private static List<List<String>> ranking(JsonNode line) {
        List<List<String>> groups = new java.util.ArrayList<>();
        line.path("ranking").forEach(group -> {
            List<String> ids = new java.util.ArrayList<>();
            group.forEach(id -> ids.add(id.asString()));
            groups.add(ids);
        });
        return groups;
    }
}
