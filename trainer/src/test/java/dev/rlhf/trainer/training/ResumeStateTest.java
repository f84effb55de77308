package dev.rlhf.trainer.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeStateTest {

    @TempDir
    Path temp;

    @Test
    void countersAndCursorPositionsRoundTrip() throws Exception {
        DataCursor<String> cursor = new DataCursor<>(List.of("a", "b", "c"), new Seeds(3).supervisedOrder());
        cursor.nextBatch(2);
        cursor.nextBatch(2);
        cursor.nextBatch(2);
        Path dir = temp.resolve("resume");
        ResumeState.save(dir, 3, saved -> {
            saved.counters().put("step", 7);
            saved.cursor("train", cursor);
        });
        ResumeState read = ResumeState.read(dir, 3).orElseThrow();
        assertThat(read.counters().path("step").asInt()).isEqualTo(7);
        DataCursor<String> restored = new DataCursor<>(List.of("a", "b", "c"), new Seeds(3).supervisedOrder());
        read.restoreCursor("train", restored);
        assertThat(restored.position()).isEqualTo(new DataCursor.Position(1, 2));
    }

    @Test
    void noStateIsEmptyAndAnotherSeedIsRefused() throws Exception {
        assertThat(ResumeState.read(temp.resolve("none"), 1)).isEmpty();
        ResumeState.save(temp.resolve("resume"), 1, saved -> saved.counters().put("step", 1));
        assertThatThrownBy(() -> ResumeState.read(temp.resolve("resume"), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same seed");
    }

    @Test
    void aStateOfAnEarlierLayoutIsRefusedRatherThanMisread() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("resume"));
        Files.writeString(dir.resolve(ResumeState.STATE_JSON), "{\"seed\": 1, \"step\": 4, \"promptEpoch\": 1}");
        assertThatThrownBy(() -> ResumeState.read(dir, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format");
    }

    @Test
    void aFailedSaveLeavesThePreviousStateWhole() throws Exception {
        Path dir = temp.resolve("resume");
        ResumeState.save(dir, 1, saved -> saved.counters().put("step", 1));
        assertThatThrownBy(() -> ResumeState.save(dir, 1, saved -> {
            saved.counters().put("step", 2);
            throw new java.io.IOException("disk full");
        })).hasMessageContaining("disk full");
        assertThat(ResumeState.read(dir, 1).orElseThrow().counters().path("step").asInt()).isEqualTo(1);
        try (var files = Files.list(temp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("resume");
        }
    }
}
