package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.ModelTemplates;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.WeightsDtype;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 12: {@code reward}, {@code dpo}, {@code ppo} and {@code sft} each run a few steps on
 * tiny-random-qwen3 (bf16, real Qwen3 tokenizer and chat template) from a feedback-service
 * {@code messages} export, and the prompt token ids the trainer builds for a conversation are
 * {@code render}'s output for it (with the generation prompt): the Qwen chat template, not the plain one.
 */
class QwenChatTrainingCommandsTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Path QWEN3 = SharedData.dir().resolve("data/models/tiny-random-qwen3");
    static final int IM_START = 151644;
    static final int IM_END = 151645;

    static final String SYSTEM_TURNS = "{\"role\": \"system\", \"content\": \"You are a helpful assistant.\"}, "
            + "{\"role\": \"user\", \"content\": \"Name a colour.\"}, {\"role\": \"assistant\", \"content\": \"Blue.\"}, "
            + "{\"role\": \"user\", \"content\": \"And another one?\"}";
    /** The first line's prompt conversation, as a {@code {"messages"}} prompt line. */
    static final String SYSTEM_PROMPT_LINE = "{\"messages\": [" + SYSTEM_TURNS + "]}";

    @TempDir
    Path temp;

    /** The feedback-service {@code messages} export: multi-turn with a system turn, and single-turn lines. */
    Path messagesExport() throws Exception {
        Path file = temp.resolve("messages.jsonl");
        Files.writeString(file,
                "{\"chosen\": [" + SYSTEM_TURNS + ", {\"role\": \"assistant\", \"content\": \"Green, like grass.\"}], "
                        + "\"rejected\": [" + SYSTEM_TURNS + ", {\"role\": \"assistant\", \"content\": \"No.\"}]}\n"
                        + "{\"chosen\": [{\"role\": \"user\", \"content\": \"Say hi.\"}, {\"role\": \"assistant\", \"content\": \"Hi there!\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"Say hi.\"}, {\"role\": \"assistant\", \"content\": \"Go away.\"}]}\n"
                        + "{\"chosen\": [{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"4\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"5\"}]}\n"
                        + "{\"chosen\": [{\"role\": \"user\", \"content\": \"Capital of France?\"}, {\"role\": \"assistant\", \"content\": \"Paris.\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"Capital of France?\"}, {\"role\": \"assistant\", \"content\": \"Rome.\"}]}\n");
        return file;
    }

    /** {@code render}'s token ids for the first export line's prompt conversation, with the generation prompt. */
    int[] renderedPrompt() throws Exception {
        Path line = temp.resolve("render.jsonl");
        Files.writeString(line, "{\"messages\": [" + SYSTEM_TURNS + "], \"add_generation_prompt\": true}\n");
        CapturedRun r = CapturedRun.of("render", "--model", QWEN3.toString(), "--data", line.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode out = jsonLine(r.out());
        assertThat(out.get("text").asString()).startsWith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
                .endsWith("<|im_start|>user\nAnd another one?<|im_end|>\n<|im_start|>assistant\n");
        int[] ids = ConversationCommandsTest.ids(out.get("token_ids"));
        assertThat(ids[0]).isEqualTo(IM_START);
        return ids;
    }

    @Test
    void rewardDpoPpoAndSftTrainOnTheMessagesExportOfQwen3WithItsChatTemplate() throws Exception {
        Path export = messagesExport();
        int[] rendered = renderedPrompt();

        // The ids the trainer builds: the commands' own readers (the model's template, read as CliModels does)
        // and the loaded model's tokenizer, as the trainers tokenize. The plain template would give other ids.
        ChatTemplate template = CliModels.chatTemplate(QWEN3, null);
        assertThat(template).isNotSameAs(PlainChatTemplate.INSTANCE);
        try (LoadedModel qwen = ModelLoader.load(QWEN3, null, Device.cpu())) {
            TextTokenizer tokenizer = qwen.tokenizer();
            assertThat(tokenizer.eosId()).isEqualTo(IM_END);
            RankedResponses first = PreferenceFile.read(export, template).getFirst();
            assertThat(tokenizer.encode(first.prompt())).containsExactly(rendered);
            TokenizedResponse chosen = TokenizedResponse.of(first.prompt(), first.responses().get(first.ranking().groups().getFirst()[0]), tokenizer, 4096);
            assertThat(Arrays.copyOf(chosen.ids(), chosen.responseFrom())).containsExactly(rendered);
            assertThat(chosen.ids()[chosen.ids().length - 1]).isEqualTo(IM_END);
            assertThat(tokenizer.encode(PreferenceFile.read(export, PlainChatTemplate.INSTANCE).getFirst().prompt()))
                    .doesNotContain(IM_START);

            Path sftData = temp.resolve("sft.jsonl");
            Files.writeString(sftData, "{\"messages\": [" + SYSTEM_TURNS + ", {\"role\": \"assistant\", \"content\": \"Green, like grass.\"}]}\n"
                    + "{\"messages\": [{\"role\": \"user\", \"content\": \"Say hi.\"}, {\"role\": \"assistant\", \"content\": \"Hi there!\"}]}\n"
                    + "{\"messages\": [{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"4\"}]}\n");
            assertThat(tokenizer.encode(SftExample.readJsonl(sftData, template).getFirst().prompt())).containsExactly(rendered);

            Path rm = temp.resolve("rm");
            JsonNode reward = train("reward", export, rm, "--batch-size", "2", "--max-steps", "2", "--lr", "1e-3");
            assertFinite(reward, "loss", "accuracy", "margin");
            assertSavedBf16(rm.resolve("model"));

            Path dpoOut = temp.resolve("dpo");
            JsonNode dpo = train("dpo", export, dpoOut, "--batch-size", "2", "--max-steps", "2", "--lr", "1e-3");
            assertFinite(dpo, "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                    "logps/chosen", "logps/rejected");
            assertSavedBf16(dpoOut.resolve("model"));

            Path sftOut = temp.resolve("sft");
            JsonNode sft = train("sft", sftData, sftOut, "--batch-size", "2", "--max-steps", "2", "--eval-fraction", "0");
            assertFinite(sft, "loss");
            assertSavedBf16(sftOut.resolve("model"));

            // ppo reads {"messages"} prompt lines with PromptFile, as generate does: greedy generation from the
            // line equals generation from render's ids, so the policy saw exactly the rendered prompt.
            Path prompts = temp.resolve("prompts.jsonl");
            Files.writeString(prompts, SYSTEM_PROMPT_LINE + "\n{\"messages\": [{\"role\": \"user\", \"content\": \"Say hi.\"}]}\n");
            Files.writeString(temp.resolve("one.jsonl"), SYSTEM_PROMPT_LINE + "\n");
            CapturedRun fromLine = CapturedRun.of("generate", "--model", QWEN3.toString(), "--data", temp.resolve("one.jsonl").toString(),
                    "--temperature", "0", "--max-new-tokens", "6", "--device", "cpu");
            CapturedRun fromIds = CapturedRun.of("generate", "--model", QWEN3.toString(), "--prompt-ids",
                    Arrays.stream(rendered).mapToObj(Integer::toString).collect(Collectors.joining(",")),
                    "--temperature", "0", "--max-new-tokens", "6", "--device", "cpu");
            assertThat(fromLine.code()).as(fromLine.err()).isZero();
            assertThat(fromIds.code()).as(fromIds.err()).isZero();
            JsonNode a = jsonLine(fromLine.out());
            JsonNode b = jsonLine(fromIds.out());
            assertThat(a.get("token_ids")).isEqualTo(b.get("token_ids"));
            assertThat(a.get("logprob").asDouble()).isEqualTo(b.get("logprob").asDouble());

            Path ppoOut = temp.resolve("ppo");
            Path metrics = temp.resolve("ppo-metrics.jsonl");
            long start = System.nanoTime();
            CapturedRun ppo = CapturedRun.of("ppo", "--model", QWEN3.toString(), "--reward-model", rm.resolve("model").toString(),
                    "--data", prompts.toString(), "--out", ppoOut.toString(), "--metrics", metrics.toString(),
                    "--batch-size", "2", "--num-mini-batches", "1", "--ppo-epochs", "1", "--max-new-tokens", "4",
                    "--max-steps", "2", "--seed", "3", "--device", "cpu");
            System.err.println("ppo: " + (System.nanoTime() - start) / 1_000_000 + " ms");
            assertThat(ppo.code()).as(ppo.err()).isZero();
            List<String> lines = Files.readAllLines(metrics);
            assertThat(lines).hasSize(2);
            for (String l : lines) {
                assertFinite(JSON.readTree(l), "objective/kl", "objective/entropy", "objective/scores", "objective/rlhf_reward",
                        "policy/approxkl", "policy/clipfrac", "loss/policy", "loss/value", "val/clipfrac", "kl_coef");
            }
            assertSavedBf16(ppoOut.resolve("model"));
        }
    }

    /** Runs {@code command} on {@code data} for its steps and returns its last metrics line (all lines checked finite). */
    JsonNode train(String command, Path data, Path out, String... extra) throws Exception {
        Path metrics = temp.resolve(command + "-metrics.jsonl");
        List<String> args = new java.util.ArrayList<>(List.of(command, "--model", QWEN3.toString(), "--data", data.toString(),
                "--out", out.toString(), "--metrics", metrics.toString(), "--seed", "5", "--device", "cpu"));
        args.addAll(List.of(extra));
        long start = System.nanoTime();
        CapturedRun r = CapturedRun.of(args.toArray(String[]::new));
        System.err.println(command + ": " + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertThat(r.code()).as(command + ": " + r.err()).isZero();
        List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).as(command).hasSize(2);
        for (String l : lines) {
            JsonNode m = JSON.readTree(l);
            assertThat(m.get("phase").asString()).isEqualTo(command);
        }
        return JSON.readTree(lines.getLast());
    }

    /** The one JSON line of a command's stdout (anything else a native library prints there is skipped). */
    static JsonNode jsonLine(String out) {
        List<String> json = out.lines().filter(l -> l.startsWith("{")).toList();
        assertThat(json).as(out).hasSize(1);
        return JSON.readTree(json.getFirst());
    }

    static void assertFinite(JsonNode metrics, String... names) {
        for (String name : names) {
            assertThat(metrics.has(name)).as(name + " in " + metrics).isTrue();
            assertThat(Double.isFinite(metrics.get(name).asDouble())).as(name + " in " + metrics).isTrue();
        }
    }

    /** The saved model keeps the fixture's bf16 weights, carries the Qwen tokenizer and loads again. */
    static void assertSavedBf16(Path model) throws Exception {
        JsonNode manifest = JSON.readTree(model.resolve(ModelCheckpoint.MANIFEST).toFile());
        assertThat(manifest.path("weightsDtype").asString()).as(model.toString()).isEqualTo(WeightsDtype.BF16.torchName());
        assertThat(manifest.path("tokenizer").path("eosId").asInt()).isEqualTo(IM_END);
        try (LoadedModel again = ModelLoader.load(model, null, Device.cpu())) {
            assertThat(again.model().config().qkNorm()).isTrue();
            assertThat(again.tokenizer().encode("<|im_start|>user\nhi")).startsWith(IM_START);
        }
        assertThat(CliModels.chatTemplate(model, null)).isNotSameAs(PlainChatTemplate.INSTANCE);
    }
}
