package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.SafetensorsFiles;
import dev.rlhf.trainer.model.WeightsDtype;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The commands on the Hugging Face fixtures: {@code generate} reproduces reference.json's greedy
 * tokens from the text prompts (TinyStories tokenizer; the Qwen fixtures' prompts are token ids,
 * tested through the Generator in {@code HuggingFaceReferenceTest}), {@code --save-dtype} and
 * {@code --dtype} are checked as bad input.
 */
class HuggingFaceModelsCommandTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path temp;

    static Path fixture(String name) {
        return SharedData.dir().resolve("data/models").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-llama3", "tinystories-656k-hf"})
    void generateGivesTheReferenceGreedyTokens(String name) {
        JsonNode ref = JSON.readTree(fixture(name).resolve("reference.json").toFile());
        for (JsonNode c : ref.path("cases")) {
            if (!c.has("input_text")) {
                continue;
            }
            JsonNode expected = c.path("greedy_new_ids");
            GenerateCommandTest.Result r = GenerateCommandTest.run("generate", "--model", fixture(name).toString(),
                    "--prompt", c.path("input_text").asString(), "--temperature", "0",
                    "--max-new-tokens", Integer.toString(expected.size()), "--device", "cpu");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(JSON.readTree(r.out()).path("token_ids")).as(name + "/" + c.path("name").asString()).isEqualTo(expected);
        }
    }

    /**
     * The Qwen fixtures' prompts are token ids: {@code generate --prompt-ids} (nothing added to them) must print
     * reference.json's 16 greedy ids exactly. None of them is an EOS id (151643, 151645), so the reference's
     * "no EOS stop" and generate's stop at EOS agree; the test checks that too, so it stays honest if the
     * fixture changes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-qwen2", "tiny-random-qwen3"})
    void generateFromPromptIdsGivesTheReferenceGreedyTokens(String name) {
        JsonNode ref = JSON.readTree(fixture(name).resolve("reference.json").toFile());
        assertThat(ref.path("cases")).hasSize(3);
        for (JsonNode c : ref.path("cases")) {
            JsonNode expected = c.path("greedy_new_ids");
            assertThat(expected).hasSize(16);
            expected.forEach(id -> assertThat(id.asInt()).as("an EOS id in the reference").isNotIn(151643, 151645));
            StringBuilder ids = new StringBuilder();
            c.path("input_ids").forEach(id -> ids.append(ids.isEmpty() ? "" : ",").append(id.asInt()));
            GenerateCommandTest.Result r = GenerateCommandTest.run("generate", "--model", fixture(name).toString(),
                    "--prompt-ids", ids.toString(), "--temperature", "0", "--max-new-tokens", "16", "--device", "cpu");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.lines()).hasSize(1);
            assertThat(JSON.readTree(r.out()).path("token_ids")).as(name + "/" + c.path("name").asString()).isEqualTo(expected);
        }
    }

    @Test
    void convertWritesTheRequestedDtype() throws Exception {
        Path out = temp.resolve("bf16");
        GenerateCommandTest.Result r = GenerateCommandTest.run("convert", "--model", fixture("tinystories-656k-hf").toString(),
                "--out", out.toString(), "--save-dtype", "bf16");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(SafetensorsFiles.dtypeOf(SafetensorsFiles.entries(out.resolve("model.safetensors")))).isEqualTo(WeightsDtype.BF16);
        GenerateCommandTest.Result bad = GenerateCommandTest.run("convert", "--model", fixture("tinystories-656k-hf").toString(),
                "--out", temp.resolve("x").toString(), "--save-dtype", "f8");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--save-dtype 'f8' is not one of f32, bf16, f16");
    }

    @Test
    void bf16ComputeIsRefusedOnTheCpu() {
        GenerateCommandTest.Result r = GenerateCommandTest.run("generate", "--model", fixture("tinystories-656k-hf").toString(),
                "--prompt", "Once", "--device", "cpu", "--dtype", "bf16");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--dtype bf16 needs --device gpu");
    }
}
