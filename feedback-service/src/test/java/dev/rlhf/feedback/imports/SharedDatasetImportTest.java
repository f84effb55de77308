package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Response;
import dev.rlhf.feedback.prompt.StoredResponses;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.SharedData;
import dev.rlhf.schemas.ranking.TieGroups;
import tools.jackson.databind.JsonNode;

/** The real OASST and HH-RLHF files from ../shared/data, imported through the REST API into PostgreSQL. */
class SharedDatasetImportTest extends IntegrationTest {

    @Autowired
    JdbcClient jdbc;
    @Autowired
    PromptRepository prompts;
    @Autowired
    RankingRepository rankings;

    private UUID newProject() {
        var created = admin().postJson("/api/v1/projects", Map.of("name", "dataset-" + UUID.randomUUID()));
        assertThat(created.status()).isEqualTo(201);
        return UUID.fromString(created.json().path("id").asString());
    }

    private JsonNode importFile(UUID project, String format, Path file) {
        var reply = admin().postFile("/api/v1/projects/" + project + "/items?format=" + format, file);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json();
    }

    private List<Ranking> rankingsOf(UUID project, String source) {
        return jdbc.sql("SELECT " + RankingRepository.COLUMNS + " FROM rankings WHERE project_id = ? AND source = ?")
                .params(project, source).query(rankings::map).list();
    }

    private long count(String sql, UUID project) {
        return jdbc.sql(sql).param(project).query(Long.class).single();
    }

    /** Read independently of the importer: message id -> (tree id, its ranked assistant reply texts, best first). */
    private record ExpectedGroup(String treeId, List<String> rankedTexts) {
    }

    private Map<String, ExpectedGroup> expectedOasstGroups() throws IOException {
        Map<String, ExpectedGroup> groups = new HashMap<>();
        for (String line : Files.readAllLines(SharedData.oasstTrees())) {
            JsonNode tree = json.readTree(line);
            collect(tree.path("message_tree_id").asString(), tree.path("prompt"), groups);
        }
        return groups;
    }

    private static void collect(String treeId, JsonNode message, Map<String, ExpectedGroup> groups) {
        List<JsonNode> ranked = new ArrayList<>();
        for (JsonNode reply : message.path("replies")) {
            if (reply.path("role").asString().equals("assistant") && reply.path("rank").isNumber()) {
                ranked.add(reply);
            }
            collect(treeId, reply, groups);
        }
        if (ranked.size() >= 2) {
            ranked.sort(Comparator.comparingInt(reply -> reply.path("rank").asInt()));
            groups.put(message.path("message_id").asString(), new ExpectedGroup(treeId, ranked.stream().map(r -> r.path("text").asString()).toList()));
        }
    }

    @Test
    void oasstTreesImportAsPromptsWithTheirHumanRankingsAndReimportAddsNothing() throws IOException {
        UUID project = newProject();
        Map<String, ExpectedGroup> expected = expectedOasstGroups();

        JsonNode result = importFile(project, "oasst", SharedData.oasstTrees());
        assertThat(result.path("lines").asLong()).isEqualTo(100);
        assertThat(result.path("rejected").isEmpty()).as(result.toString()).isTrue();
        assertThat(result.path("imported").asLong()).isEqualTo(212);

        // One prompt per ranked sibling group, drawn from all 100 trees.
        Map<UUID, String> sourceRefs = jdbc.sql("SELECT id, source_ref FROM prompts WHERE project_id = ?").param(project)
                .query((rs, n) -> Map.entry(rs.getObject(1, UUID.class), rs.getString(2))).list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(new HashSet<>(sourceRefs.values())).isEqualTo(expected.keySet());
        assertThat(sourceRefs.values().stream().map(ref -> expected.get(ref).treeId()).distinct()).hasSize(100);

        List<Ranking> oasst = rankingsOf(project, "oasst");
        assertThat(oasst).hasSize(212);
        assertThat(oasst.stream().mapToLong(r -> TieGroups.strictPairCount(r.groups())).sum()).isEqualTo(754);
        for (Ranking ranking : oasst) {
            assertThat(ranking.annotatorId()).isNull();
            assertThat(ranking.assignmentId()).isNull();
            Map<UUID, String> texts = StoredResponses.of(jdbc, ranking.promptId()).stream().collect(Collectors.toMap(Response::id, Response::text));
            // The ranking orders exactly the ranked replies, best first (the file has no tied ranks).
            assertThat(ranking.responseIds().stream().map(texts::get).toList())
                    .isEqualTo(expected.get(sourceRefs.get(ranking.promptId())).rankedTexts());
        }
        assertThat(count("SELECT count(*) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.project_id = ? AND r.model = 'oasst'", project))
                .isEqualTo(expected.values().stream().mapToLong(g -> g.rankedTexts().size()).sum());
        // With the default K = 4, groups of more than 4 replies are split into tasks of at most 4.
        int k = 4;
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project))
                .isEqualTo(expected.values().stream().mapToLong(g -> (g.rankedTexts().size() + k - 1) / k).sum());

        long tasks = count("SELECT count(*) FROM tasks WHERE project_id = ?", project);
        JsonNode again = importFile(project, "oasst", SharedData.oasstTrees());
        assertThat(again.path("imported").asLong()).isZero();
        assertThat(again.path("skipped").asLong()).isEqualTo(212);
        assertThat(rankingsOf(project, "oasst")).hasSize(212);
        assertThat(count("SELECT count(*) FROM prompts WHERE project_id = ?", project)).isEqualTo(212);
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project)).isEqualTo(tasks);

        // The TRL/OpenRLHF pairs export: every K-choose-2 pair of every human ranking, exactly 754.
        assertThat(exportedPairs(project)).hasSize(754);
    }

    /** The project's {@code pairs} export through the REST API, one JSON object per line. */
    private List<JsonNode> exportedPairs(UUID project) {
        var reply = admin().get("/api/v1/projects/" + project + "/export?format=pairs");
        assertThat(reply.status()).isEqualTo(200);
        return reply.body().lines().filter(l -> !l.isBlank()).map(json::readTree).toList();
    }

    private record Transcripts(String chosen, String rejected) {
    }

    private List<Transcripts> hhLines() throws IOException {
        List<Transcripts> lines = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(SharedData.hhPairs())),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                JsonNode node = json.readTree(line);
                lines.add(new Transcripts(node.path("chosen").asString(), node.path("rejected").asString()));
            }
        }
        return lines;
    }

    /** The two transcripts' last assistant turns: after the last "\n\nAssistant:" they share, less one space. */
    private static List<String> finalResponses(Transcripts t) {
        String marker = "\n\nAssistant:";
        int shared = 0;
        while (shared < Math.min(t.chosen().length(), t.rejected().length()) && t.chosen().charAt(shared) == t.rejected().charAt(shared)) {
            shared++;
        }
        int cut = t.chosen().lastIndexOf(marker, shared - marker.length()) + marker.length();
        return List.of(dropOneSpace(t.chosen().substring(cut)), dropOneSpace(t.rejected().substring(cut)));
    }

    private static String dropOneSpace(String text) {
        return text.startsWith(" ") ? text.substring(1) : text;
    }

    @Test
    void hhPairsImportFromTheGzipFileAndTheirTranscriptsRoundTripExactly() throws IOException {
        UUID project = newProject();
        List<Transcripts> original = hhLines();
        assertThat(original).hasSize(2312);

        // The .gz file is posted as it is, without Content-Encoding: recognised by its magic bytes.
        JsonNode result = importFile(project, "hh", SharedData.hhPairs());
        assertThat(result.path("rejected").isEmpty()).as(result.toString()).isTrue();
        assertThat(result.path("imported").asLong()).isEqualTo(2312);
        assertThat(result.path("skipped").asLong()).isZero();

        // Every line is a distinct preference; two prompts ("what are racist words", "call me a bad name")
        // occur on two lines each with different response pairs, so 2,310 prompts hold 2,312 rankings,
        // 4,624 responses and 2,312 tasks.
        List<Ranking> hh = rankingsOf(project, "hh");
        assertThat(hh).hasSize(2312);
        assertThat(count("SELECT count(*) FROM prompts WHERE project_id = ?", project)).isEqualTo(2310);
        assertThat(count("SELECT count(*) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.project_id = ?", project)).isEqualTo(4624);
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project)).isEqualTo(2312);

        // Rebuild each chosen/rejected transcript from the stored conversation and response texts.
        List<Transcripts> rebuilt = new ArrayList<>();
        for (Ranking ranking : hh) {
            var turns = prompts.findPrompt(ranking.promptId()).orElseThrow().conversation().turns();
            Map<UUID, String> texts = StoredResponses.of(jdbc, ranking.promptId()).stream().collect(Collectors.toMap(Response::id, Response::text));
            TieGroups.OrderedPair<UUID> pair = TieGroups.strictPairs(ranking.groups()).getFirst();
            rebuilt.add(new Transcripts(HhRoundTrip.transcript(turns, texts.get(pair.better())),
                    HhRoundTrip.transcript(turns, texts.get(pair.worse()))));
        }
        assertThat(rebuilt).containsExactlyInAnyOrderElementsOf(original);

        // Exported back as pairs: one per line of the file, with the same chosen and rejected responses
        // (the final assistant turn of each transcript, after "\n\nAssistant: ").
        List<List<String>> exported = exportedPairs(project).stream()
                .map(p -> List.of(p.path("chosen").asString(), p.path("rejected").asString())).toList();
        List<List<String>> expectedResponses = original.stream().map(SharedDatasetImportTest::finalResponses).toList();
        assertThat(exported).hasSize(2312).containsExactlyInAnyOrderElementsOf(expectedResponses);

        JsonNode again = importFile(project, "hh", SharedData.hhPairs());
        assertThat(again.path("imported").asLong()).isZero();
        assertThat(again.path("skipped").asLong()).isEqualTo(2312);
        assertThat(rankingsOf(project, "hh")).hasSize(2312);
        assertThat(count("SELECT count(*) FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE p.project_id = ?", project)).isEqualTo(4624);
        assertThat(count("SELECT count(*) FROM tasks WHERE project_id = ?", project)).isEqualTo(2312);
    }
}
