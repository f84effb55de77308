package dev.rlhf.feedback.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Real exported lines of every format validate against the JSON Schemas (draft 2020-12) the schemas module ships. */
class ExportSchemaTest extends IntegrationTest {

    @Autowired ProjectService projects;
    @Autowired AnnotatorService annotators;
    @Autowired PromptRepository prompts;
    @Autowired TaskRepository tasks;
    @Autowired RankingRepository rankings;
    @Autowired GoldRankingRepository gold;

    @Autowired JdbcClient jdbc;
    private final List<FeedbackFixture> fixtures = new java.util.ArrayList<>();

    private FeedbackFixture fixture() {
        FeedbackFixture f = new FeedbackFixture(projects, annotators, prompts, tasks, rankings, gold);
        fixtures.add(f);
        return f;
    }

    @AfterEach
    void cleanUp() {
        fixtures.forEach(f -> ProjectCleanup.delete(jdbc, f.project, f.suffix));
    }

    private static Schema schema(String format) throws Exception {
        try (InputStream in = ExportSchemaTest.class.getResourceAsStream("/export-schemas/" + format + ".schema.json")) {
            assertThat(in).as("export-schemas/" + format + ".schema.json on the classpath").isNotNull();
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    private List<JsonNode> export(FeedbackFixture f, String query) {
        var reply = admin().get("/api/v1/projects/" + f.project + "/export?" + query);
        assertThat(reply.status()).isEqualTo(200);
        return reply.body().lines().map(json::readTree).toList();
    }

    @Test
    void everyExportedLineMatchesItsSchema() throws Exception {
        FeedbackFixture f = fixture();
        for (String[] c : new String[][] {{"pairs", "format=pairs"}, {"pairs", "format=pairs&consensus=true"},
                {"messages", "format=messages"}, {"messages", "format=messages&consensus=true"}, {"rankings", "format=rankings"},
                {"consensus", "format=consensus"}, {"sft", "format=sft"}, {"kto", "format=kto"}}) {
            Schema schema = schema(c[0]);
            List<JsonNode> lines = export(f, c[1]);
            assertThat(lines).as(c[1]).isNotEmpty();
            for (JsonNode line : lines) {
                assertThat(schema.validate(line)).as(c[1] + ": " + line).isEmpty();
            }
        }
    }

    /** Lines of the graded modes: margins on pairs, grades on rankings, kto labels of thumbs, ratings and graded pairs. */
    @Test
    void gradedLinesMatchTheirSchemas() throws Exception {
        GradedFeedbackFixture g = new GradedFeedbackFixture(projects, annotators, prompts, tasks, rankings);
        try {
            for (java.util.UUID project : List.of(g.pairwise, g.rating, g.binary)) {
                for (String format : List.of("pairs", "messages", "rankings", "kto")) {
                    Schema schema = schema(format);
                    var reply = admin().get("/api/v1/projects/" + project + "/export?format=" + format);
                    assertThat(reply.status()).isEqualTo(200);
                    List<JsonNode> lines = reply.body().lines().map(json::readTree).toList();
                    assertThat(lines).as(format).isNotEmpty();
                    for (JsonNode line : lines) {
                        assertThat(schema.validate(line)).as(format + ": " + line).isEmpty();
                    }
                }
            }
            var reply = admin().get("/api/v1/projects/" + g.rating + "/export?format=pairs");
            ObjectNode pair = (ObjectNode) json.readTree(reply.body().lines().findFirst().orElseThrow());
            assertThat(pair.has("margin")).isTrue();
            pair.put("margin", -1.0);
            assertThat(schema("pairs").validate(pair)).isNotEmpty();
            ObjectNode ranking = (ObjectNode) json.readTree(admin().get("/api/v1/projects/" + g.rating + "/export?format=rankings").body()
                    .lines().findFirst().orElseThrow());
            ranking.putObject("ratings").put(g.x.toString(), 8);
            assertThat(schema("rankings").validate(ranking)).isNotEmpty();
            ranking.remove("ratings");
            ranking.put("feedback_mode", "stars");
            assertThat(schema("rankings").validate(ranking)).isNotEmpty();
        } finally {
            g.delete(jdbc);
        }
    }

    @Test
    void theSchemasRejectBrokenLines() throws Exception {
        FeedbackFixture f = fixture();
        ObjectNode pair = (ObjectNode) export(f, "format=pairs").getFirst();
        pair.remove("chosen");
        assertThat(schema("pairs").validate(pair)).isNotEmpty();
        ObjectNode ranking = (ObjectNode) export(f, "format=rankings").getFirst();
        ranking.putArray("ranking").addArray().add("not-a-uuid");
        assertThat(schema("rankings").validate(ranking)).isNotEmpty();
        ObjectNode consensus = (ObjectNode) export(f, "format=consensus").getFirst();
        consensus.put("agreement", 1.5);
        assertThat(schema("consensus").validate(consensus)).isNotEmpty();
        ObjectNode kto = (ObjectNode) export(f, "format=kto").getFirst();
        assertThat(schema("kto").validate(kto)).isEmpty();
        kto.put("label", "desirable");
        assertThat(schema("kto").validate(kto)).isNotEmpty();
        kto.put("label", true);
        kto.remove("completion");
        assertThat(schema("kto").validate(kto)).isNotEmpty();
    }
}
