package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code trainer sft} end to end: fine-tune, metrics per step, then generate from the result. */
class SftCommandTest {

    static final String MODEL = SharedData.stories260kModel().toString();
    static final String TOKENIZER = SharedData.stories260kTokenizer().toString();

    @TempDir
    Path temp;

    @Test
    void fineTunesWritesMetricsAndTheResultGenerates() throws Exception {
        Path data = temp.resolve("sft.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            lines.append("{\"prompt\": \"Q: What color is the sky?\\nA:\", \"completion\": \" The sky is blue.\"}\n");
            lines.append("{\"text\": \"Tom has a red ball. He likes to play with it every day.\"}\n");
        }
        Files.writeString(data, lines);
        Path metrics = temp.resolve("metrics.jsonl");
        Path out = temp.resolve("run");
        GenerateCommandTest.Result r = GenerateCommandTest.run("sft", "--model", MODEL, "--tokenizer", TOKENIZER,
                "--data", data.toString(), "--out", out.toString(), "--metrics", metrics.toString(), "--max-steps", "10",
                "--batch-size", "8", "--lr", "3e-3", "--eval-every", "3", "--device", "cpu");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode summary = JsonMapper.builder().build().readTree(r.out().strip());
        assertThat(summary.get("steps").asInt()).isEqualTo(10);
        assertThat(summary.get("eval_loss").asDouble()).isPositive();
        List<JsonNode> perStep = Files.readAllLines(metrics).stream().map(l -> JsonMapper.builder().build().readTree(l)).toList();
        assertThat(perStep).hasSize(10);
        assertThat(perStep.getFirst().get("phase").asString()).isEqualTo("sft");
        assertThat(perStep.getFirst().get("step").asInt()).isEqualTo(1);
        assertThat(perStep.get(2).has("eval_loss")).isTrue();
        assertThat(r.err()).contains("sft [").contains("ETA");

        GenerateCommandTest.Result g = GenerateCommandTest.run("generate", "--model", out.toString(), "--prompt",
                "Q: What color is the sky?\nA:", "--temperature", "0", "--max-new-tokens", "12");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.json().getFirst().get("completion").asString()).startsWith(" The sky is blue");
    }

    @Test
    void badTrainingInputExitsWithCodeTwo() throws Exception {
        Path data = temp.resolve("bad.jsonl");
        Files.writeString(data, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 3}\n");
        GenerateCommandTest.Result r = GenerateCommandTest.run("sft", "--model", MODEL, "--tokenizer", TOKENIZER,
                "--data", data.toString(), "--out", temp.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("bad.jsonl line 2");
        GenerateCommandTest.Result lr = GenerateCommandTest.run("sft", "--model", MODEL, "--tokenizer", TOKENIZER,
                "--data", data.toString(), "--out", temp.resolve("o").toString(), "--lr", "-1");
        assertThat(lr.code()).isEqualTo(2);
        assertThat(lr.err()).contains("lr");
    }
}
