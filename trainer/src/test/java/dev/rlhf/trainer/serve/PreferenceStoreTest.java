package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The trainer's durable preference store: dedup by event id, torn-write repair, valid rankings export lines, older stores. */
class PreferenceStoreTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void duplicatesAreDroppedAndEverythingSurvivesAReopen() throws Exception {
        RankingSubmitted a = ranking(List.of(List.of("a"), List.of("b", "c"), List.of("d")));
        RankingSubmitted b = ranking(List.of(List.of("b"), List.of("a")));
        try (PreferenceStore store = new PreferenceStore(dir)) {
            assertThat(store.append(a)).isTrue();
            assertThat(store.append(a)).isFalse();
            assertThat(store.append(b)).isTrue();
            assertThat(store.size()).as("nothing is trained on before it is on disk").isZero();
            store.sync();
            assertThat(store.size()).isEqualTo(2);
            assertThat(store.comparisons()).isEqualTo(5 + 1); // [a] > [b c] > [d]: 1*2 + 3*1; [b] > [a]: 1
        }
        try (PreferenceStore reopened = new PreferenceStore(dir)) {
            assertThat(reopened.size()).isEqualTo(2);
            assertThat(reopened.comparisons()).isEqualTo(6);
            assertThat(reopened.append(b)).as("still a duplicate after a restart").isFalse();
            RankedResponses first = reopened.head(1).getFirst();
            assertThat(first.prompt()).isEqualTo("Once upon a time");
            assertThat(first.pairs()).hasSize(5);
            assertThat(first.pairs().getFirst().chosen()).isEqualTo("text a");
        }
        // The file is a rankings export: the reward and dpo commands read it as is.
        assertThat(PreferenceFile.read(dir.resolve(PreferenceStore.FILE))).hasSize(2);
    }

    @Test
    void aLineTornByACrashIsCutOffAndItsEventCanBeStoredAgain() throws Exception {
        RankingSubmitted a = ranking(List.of(List.of("a"), List.of("b")));
        RankingSubmitted torn = ranking(List.of(List.of("b"), List.of("a")));
        try (PreferenceStore store = new PreferenceStore(dir)) {
            store.append(a);
            store.sync();
        }
        String full = PreferenceStore.line(torn).toString();
        Files.writeString(dir.resolve(PreferenceStore.FILE), full.substring(0, full.length() / 2), StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (PreferenceStore store = new PreferenceStore(dir)) {
            assertThat(store.size()).isEqualTo(1);
            assertThat(store.append(torn)).as("Kafka redelivers the torn event; it is stored whole").isTrue();
            store.sync();
        }
        try (PreferenceStore store = new PreferenceStore(dir)) {
            assertThat(store.size()).isEqualTo(2);
        }
    }

    @Test
    void aCorruptCompleteLineIsReportedWithItsNumber() throws Exception {
        Files.writeString(dir.resolve(PreferenceStore.FILE), "{\"event_id\": \"x\", \"prompt\": \"p\"}\nnot json\n");
        assertThatThrownBy(() -> new DurableLog(dir.resolve(PreferenceStore.FILE)))
                .hasMessageContaining("line 2");
    }

    @Test
    void everyStoredLineIsAValidRankingsExportLine() throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String c = UUID.randomUUID().toString();
        RankingSubmitted plain = RankingSubmitted.newBuilder(ranking(List.of(List.of(a), List.of(b, c))))
                .setPromptId(UUID.randomUUID().toString()).setFlags(java.util.Map.of(b, List.of("off-topic"))).setRewrite("better")
                .build();
        RankingSubmitted conversation = RankingSubmitted.newBuilder(ranking(List.of(List.of(b), List.of(a))))
                .setPromptId(UUID.randomUUID().toString()).setPrompt("\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: A story?\n\nAssistant:")
                .setConversation(List.of(new Turn("user", "Hi"), new Turn("assistant", "Hello"), new Turn("user", "A story?")))
                .build();
        try (PreferenceStore store = new PreferenceStore(dir)) {
            store.append(plain);
            store.append(conversation);
            store.sync();
        }
        Schema schema = rankingsSchema();
        List<String> lines = Files.readAllLines(dir.resolve(PreferenceStore.FILE));
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            assertThat(schema.validate(JSON.readTree(line))).as(line).isEmpty();
        }
        JsonNode first = JSON.readTree(lines.getFirst());
        assertThat(first.get("ranking_id").asString()).isEqualTo(plain.getEventId().toString());
        assertThat(first.get("annotator").asString()).isEqualTo("alice");
        assertThat(first.get("conversation")).as("a plain prompt is one user turn").hasSize(1);
        assertThat(JSON.readTree(lines.get(1)).get("conversation")).hasSize(3);
        // The validator does reject what the store wrote before this format (no ranking_id, conversation, annotator).
        assertThat(schema.validate(JSON.readTree(OLD_LINE))).isNotEmpty();
    }

    /** Rating and binary rankings keep their grades: valid export lines, margins and KTO labels read back from the store. */
    @Test
    void theGradesOfTheFeedbackModesAreStoredAndReadBack() throws Exception {
        String a = "00000000-0000-0000-0000-00000000000a"; // ids sort a < b < c: the responses' order in the line
        String b = "00000000-0000-0000-0000-00000000000b";
        String c = "00000000-0000-0000-0000-00000000000c";
        RankingSubmitted rated = RankingSubmitted.newBuilder(ranking(List.of(List.of(a), List.of(b), List.of(c))))
                .setPromptId(UUID.randomUUID().toString()).setFeedbackMode("rating").setRatings(java.util.Map.of(a, 6, b, 4, c, 2)).build();
        RankingSubmitted thumbs = RankingSubmitted.newBuilder(ranking(List.of(List.of(a), List.of(b))))
                .setPromptId(UUID.randomUUID().toString()).setFeedbackMode("binary").setLabels(java.util.Map.of(a, true, b, false)).build();
        try (PreferenceStore store = new PreferenceStore(dir)) {
            store.append(rated);
            store.append(thumbs);
            store.sync();
            Schema schema = rankingsSchema();
            for (String line : Files.readAllLines(dir.resolve(PreferenceStore.FILE))) {
                assertThat(schema.validate(JSON.readTree(line))).as(line).isEmpty();
            }
            List<dev.rlhf.trainer.align.data.RankedResponses> read = store.head(2);
            assertThat(read.get(0).margin(0, 2)).hasValue(4.0); // rating(a) - rating(c) = 6 - 2
            assertThat(dev.rlhf.trainer.align.data.KtoExample.unpaired(read.get(0))).extracting(e -> e.completion() + "=" + e.desirable())
                    .containsExactlyInAnyOrder("text " + a + "=true", "text " + c + "=false"); // 4 is left out
            assertThat(dev.rlhf.trainer.align.data.KtoExample.unpaired(read.get(1))).extracting(e -> e.completion() + "=" + e.desirable())
                    .containsExactlyInAnyOrder("text " + a + "=true", "text " + b + "=false");
            assertThat(read.get(1).margin(0, 1)).isEmpty(); // thumbs grade no margin
        }
    }

    @Test
    void aStoreWrittenByAnEarlierVersionIsReadAndAppendedTo() throws Exception {
        Files.writeString(dir.resolve(PreferenceStore.FILE), OLD_LINE + "\n");
        RankingSubmitted added = ranking(List.of(List.of("a"), List.of("b")));
        try (PreferenceStore store = new PreferenceStore(dir)) {
            assertThat(store.size()).isEqualTo(1);
            assertThat(store.comparisons()).isEqualTo(2); // [x] > [y, z]
            RankedResponses old = store.head(1).getFirst();
            assertThat(old.prompt()).isEqualTo("Once upon a time");
            assertThat(old.pairs()).extracting(RankedResponses.PreferencePair::chosen).containsOnly("text x");
            assertThat(store.append(added)).isTrue();
            store.sync();
        }
        try (PreferenceStore reopened = new PreferenceStore(dir)) {
            assertThat(reopened.size()).isEqualTo(2);
            assertThat(reopened.comparisons()).isEqualTo(3);
            assertThat(reopened.head(2).get(1).prompt()).as("old and new lines give the same prompt text")
                    .isEqualTo(reopened.head(1).getFirst().prompt());
        }
        assertThat(PreferenceFile.read(dir.resolve(PreferenceStore.FILE))).hasSize(2);
    }

    /** A line as the store wrote it before its lines were complete rankings export lines. */
    private static final String OLD_LINE = """
            {"event_id":"7d1f2f0e-3f7e-4a43-9d7c-1b2a3c4d5e6f","project_id":"demo","prompt_id":"p-1","prompt":"Once upon a time",\
            "responses":[{"id":"x","text":"text x","policy_version":"v0","model":null},{"id":"y","text":"text y","policy_version":"v0",\
            "model":null},{"id":"z","text":"text z","policy_version":"v0","model":null}],"ranking":[["x"],["y","z"]],"flags":{},\
            "none_acceptable":false,"rewrite":null,"annotator_id":"alice","submitted_at":"2026-12-01T10:00:00Z","duration_ms":1000,\
            "source":"annotator"}""";

    private static Schema rankingsSchema() throws Exception {
        try (InputStream in = PreferenceStoreTest.class.getResourceAsStream("/export-schemas/rankings.schema.json")) {
            assertThat(in).as("export-schemas/rankings.schema.json of the schemas module").isNotNull();
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    static RankingSubmitted ranking(List<List<String>> groups) {
        return RankingSubmitted.newBuilder()
                .setEventId(UUID.randomUUID()).setProjectId("demo").setPromptId("p-1").setPrompt("Once upon a time")
                .setResponses(groups.stream().flatMap(List::stream).sorted()
                        .map(id -> RankedResponse.newBuilder().setId(id).setText("text " + id).setPolicyVersion("v0").build()).toList())
                .setRanking(groups).setAnnotatorId("alice").setSubmittedAt(Instant.parse("2026-12-01T10:00:00Z")).setDurationMs(1000)
                .build();
    }
}
