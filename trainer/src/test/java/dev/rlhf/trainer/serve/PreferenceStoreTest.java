package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's durable preference store: dedup by event id, torn-write repair, export-compatible lines. */
class PreferenceStoreTest {

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

    static RankingSubmitted ranking(List<List<String>> groups) {
        return RankingSubmitted.newBuilder()
                .setEventId(UUID.randomUUID()).setProjectId("demo").setPromptId("p-1").setPrompt("Once upon a time")
                .setResponses(groups.stream().flatMap(List::stream).sorted()
                        .map(id -> RankedResponse.newBuilder().setId(id).setText("text " + id).setPolicyVersion("v0").build()).toList())
                .setRanking(groups).setAnnotatorId("alice").setSubmittedAt(Instant.parse("2026-12-01T10:00:00Z")).setDurationMs(1000)
                .build();
    }
}
