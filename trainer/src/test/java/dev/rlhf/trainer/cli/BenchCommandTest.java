package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code trainer bench} reports every measurement it promises (timings themselves vary by machine). */
class BenchCommandTest {

    @Test
    void reportsDecodingWithAndWithoutCacheAndTrainingUtilisation() {
        GenerateCommandTest.Result r = GenerateCommandTest.run("bench", "--model", SharedData.stories260kModel().toString(),
                "--tokenizer", SharedData.stories260kTokenizer().toString(), "--contexts", "24,48", "--decode-steps", "8",
                "--width", "64", "--layers", "1", "--batch-size", "2", "--seq-len", "32", "--matmul-size", "256",
                "--device", "cpu");
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> lines = r.json();
        assertThat(lines).hasSize(5);
        assertThat(lines.subList(0, 4)).allMatch(l -> l.get("benchmark").asString().equals("generate")
                && l.get("tokens_per_second").asDouble() > 0);
        assertThat(lines.subList(0, 4).stream().map(l -> l.get("context").asInt() + "/" + l.get("kv_cache").asBoolean()))
                .containsExactly("24/true", "24/false", "48/true", "48/false");
        JsonNode sft = lines.get(4);
        assertThat(sft.get("benchmark").asString()).isEqualTo("sft");
        assertThat(sft.get("gflops_per_second").asDouble()).isPositive();
        assertThat(sft.get("fraction_of_matmul").asDouble()).isBetween(0.0, 1.5);
    }
}
