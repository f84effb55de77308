package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code trainer generate} on stories260K, as CONTRACTS.md describes it. */
class GenerateCommandTest {

    static final String MODEL = SharedData.stories260kModel().toString();
    static final String TOKENIZER = SharedData.stories260kTokenizer().toString();

    @TempDir
    Path temp;

    @Test
    void greedyPromptPrintsOneJsonLineWithTheReferenceContinuation() {
        Result r = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt", "Once upon a time, a dog",
                "--temperature", "0", "--max-new-tokens", "32", "--device", "cpu");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.lines()).hasSize(1);
        JsonNode line = r.json().getFirst();
        assertThat(line.get("prompt").asString()).isEqualTo("Once upon a time, a dog");
        assertThat(line.get("completion").asString()).startsWith(" named Max was very excited. He was very excited");
        List<Integer> ids = new ArrayList<>();
        line.get("token_ids").forEach(n -> ids.add(n.asInt()));
        assertThat(ids).startsWith(395, 392, 412, 444, 286, 399, 344, 444, 429, 275, 266);
        assertThat(line.get("logprob").asDouble()).isNegative();
    }

    @Test
    void dataFileGivesKSeededSamplesPerPromptAndRepeats() throws Exception {
        Path data = temp.resolve("prompts.jsonl");
        Files.writeString(data, "{\"prompt\": \"The cat\"}\n\n{\"prompt\": \"Tim had a ball\", \"id\": 2}\n");
        String[] args = {"generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", data.toString(),
            "--num-samples", "3", "--seed", "9", "--max-new-tokens", "16", "--top-k", "20", "--batch-size", "1"};
        Result first = run(args);
        Result again = run(args);
        assertThat(first.code).as(first.err).isZero();
        assertThat(first.json()).hasSize(6);
        assertThat(first.json().subList(0, 3)).allMatch(j -> j.get("prompt").asString().equals("The cat"));
        assertThat(first.json().subList(3, 6)).allMatch(j -> j.get("prompt").asString().equals("Tim had a ball"));
        assertThat(again.out).isEqualTo(first.out);
        assertThat(first.err).contains("generate [").contains("ETA"); // progress on stderr, not stdout
    }

    @Test
    void configFileSuppliesSettingsAndFlagsOverrideThem() throws Exception {
        Path config = temp.resolve("generate.json");
        Files.writeString(config, "{\"model\": \"" + MODEL + "\", \"tokenizer\": \"" + TOKENIZER
                + "\", \"temperature\": 0, \"max-new-tokens\": 5}");
        Result fromFile = run("generate", "--config", config.toString(), "--prompt", "The cat");
        assertThat(fromFile.code).as(fromFile.err).isZero();
        assertThat(fromFile.json().getFirst().get("token_ids")).hasSize(5);
        Result overridden = run("generate", "--config", config.toString(), "--prompt", "The cat", "--max-new-tokens", "3");
        assertThat(overridden.json().getFirst().get("token_ids")).hasSize(3);
    }

    @Test
    void badInputExitsWithCodeTwoAndOneLineNamingIt() throws Exception {
        Result missingModel = run("generate", "--model", temp.resolve("nope.bin").toString(), "--prompt", "x");
        assertThat(missingModel.code).isEqualTo(2);
        assertThat(missingModel.err.strip()).doesNotContain("\n").contains("nope.bin");

        Result badTopP = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt", "x", "--top-p", "1.5");
        assertThat(badTopP.code).isEqualTo(2);
        assertThat(badTopP.err).contains("top-p");

        Path data = temp.resolve("bad.jsonl");
        Files.writeString(data, "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n");
        Result badLine = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", data.toString());
        assertThat(badLine.code).isEqualTo(2);
        assertThat(badLine.err.strip()).doesNotContain("\n").contains("bad.jsonl line 2");

        Result noPrompt = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER);
        assertThat(noPrompt.code).isEqualTo(2);

        Result badDevice = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt", "x", "--device", "tpu");
        assertThat(badDevice.code).isEqualTo(2);
        assertThat(badDevice.err).contains("--device");

        if (ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0) { // CPU natives: --device gpu is bad input
            Result noGpu = run("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt", "x", "--device", "gpu");
            assertThat(noGpu.code).isEqualTo(2);
            assertThat(noGpu.err).contains("--device gpu").contains("no GPU");
        }

        Result missingConfig = run("generate", "--config", temp.resolve("none.json").toString());
        assertThat(missingConfig.code).isEqualTo(2);
        assertThat(missingConfig.err).contains("none.json");
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().filter(l -> !l.isBlank()).toList();
        }

        List<JsonNode> json() {
            var mapper = JsonMapper.builder().build();
            return lines().stream().map(mapper::readTree).toList();
        }
    }

    static Result run(String... args) {
        CapturedRun r = CapturedRun.of(args);
        return new Result(r.code(), r.out(), r.err());
    }
}
