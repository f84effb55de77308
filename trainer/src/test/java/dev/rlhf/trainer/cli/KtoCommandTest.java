package dev.rlhf.trainer.cli;

import static dev.rlhf.trainer.cli.PreferenceCommandsTest.cli;
import static dev.rlhf.trainer.cli.PreferenceCommandsTest.jsonLines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code trainer kto} end to end on stories260K and a few hand-written lines: TRL's KTO metric names, step 1 of the
 * initial model (every log-ratio and z0 are 0, so each loss term is 1 - sigmoid(0) = 0.5), a {@code rankings} line
 * unpaired beside the {@code kto} lines, the checkpoint, and exit code 2 with one line on bad input.
 */
class KtoCommandTest {

    @TempDir
    Path temp;

    /** Three kto lines (one conversational) and a rankings line whose top and bottom groups give one up and one down. */
    Path ktoData() throws Exception {
        List<String> lines = List.of(
                "{\"prompt\":\"Once upon a time, there was a little dog.\",\"completion\":\" The dog played in the park.\",\"label\":true}",
                "{\"prompt\":\"Lily had a cat.\",\"completion\":\" The cat slept.\",\"label\":false}",
                "{\"prompt\":[{\"role\":\"user\",\"content\":\"Tim saw a bird.\"}],"
                        + "\"completion\":[{\"role\":\"assistant\",\"content\":\" The bird flew to the park.\"}],\"label\":true}",
                "{\"prompt\":\"One day, Sue\",\"responses\":[{\"id\":\"a\",\"text\":\" went to the park.\"},{\"id\":\"b\",\"text\":\" sat.\"},"
                        + "{\"id\":\"c\",\"text\":\" stayed home.\"}],\"ranking\":[[\"a\"],[\"b\"],[\"c\"]]}");
        Path file = temp.resolve("kto.jsonl");
        Files.write(file, lines);
        return file;
    }

    @Test
    void ktoCommandStartsAtOneHalfWithTrlsMetricNames() throws Exception {
        Path metrics = temp.resolve("kto-metrics.jsonl");
        PreferenceCommandsTest.Run run = cli("kto", "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", ktoData().toString(), "--out", temp.resolve("kto").toString(),
                "--metrics", metrics.toString(), "--device", "cpu", "--max-steps", "2", "--batch-size", "5", "--lr", "1e-3");
        assertThat(run.code()).as(run.err()).isZero();
        List<JsonNode> lines = jsonLines(metrics);
        assertThat(lines).hasSize(2);
        JsonNode first = lines.get(0);
        List<String> names = new ArrayList<>();
        first.propertyNames().forEach(names::add);
        assertThat(names).startsWith("phase", "step", "loss", "kl", "rewards/chosen", "logps/chosen", "rewards/rejected",
                "logps/rejected", "rewards/margins", "count/chosen", "count/rejected");
        assertThat(first.get("phase").asString()).isEqualTo("kto");
        assertThat(first.get("loss").asDouble()).isCloseTo(0.5, within(1e-5));
        assertThat(first.get("kl").asDouble()).isCloseTo(0, within(1e-5));
        assertThat(first.get("rewards/margins").asDouble()).isCloseTo(0, within(1e-5));
        // 5 examples: 3 up (two kto lines, the ranking's top), 2 down (one kto line, the ranking's bottom); one batch is all of them
        assertThat(first.get("count/chosen").asDouble() + first.get("count/rejected").asDouble()).isEqualTo(5.0);
        assertThat(first.get("count/chosen").asDouble()).isEqualTo(3.0);
        assertThat(ModelCheckpoint.isCheckpointDirectory(temp.resolve("kto/model"))).isTrue();
        JsonNode summary = PreferenceCommandsTest.JSON.readTree(run.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(summary.get("desirable").asInt()).isEqualTo(3);
        assertThat(summary.get("undesirable").asInt()).isEqualTo(2);
        assertThat(summary.get("steps").asInt()).isEqualTo(2);
    }

    @Test
    void badInputExitsWithTwoAndOneLineNamingTheProblem() throws Exception {
        String model = SharedData.stories260kModel().toString();
        String tok = SharedData.stories260kTokenizer().toString();
        String out = temp.resolve("o").toString();
        Path bad = temp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\":\"a\",\"completion\":\"b\",\"label\":true}\n{\"prompt\":\"a\",\"completion\":\"b\",\"label\":\"yes\"}\n");
        PreferenceCommandsTest.Run label = cli("kto", "--model", model, "--tokenizer", tok, "--data", bad.toString(), "--out", out);
        assertThat(label.code()).isEqualTo(2);
        assertThat(label.err().strip()).doesNotContain("\n").contains(bad + " line 2").contains("\"label\"");

        PreferenceCommandsTest.Run batch = cli("kto", "--model", model, "--tokenizer", tok, "--data", ktoData().toString(), "--out", out,
                "--batch-size", "1");
        assertThat(batch.code()).isEqualTo(2);
        assertThat(batch.err().strip()).doesNotContain("\n").contains("batch-size");

        PreferenceCommandsTest.Run missing = cli("kto", "--model", model, "--tokenizer", tok, "--data", temp.resolve("none.jsonl").toString(),
                "--out", out);
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--data").contains("file not found");
    }
}
