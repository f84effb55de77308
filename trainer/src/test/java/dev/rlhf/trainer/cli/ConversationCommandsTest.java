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
import tools.jackson.databind.node.ObjectNode;

/**
 * Conversations on the command line: {@code render} reproduces the Qwen3 chat-template cases from
 * tiny-random-qwen3's tokenizer files; {@code generate --prompt-ids} and {@code {"messages"}} lines give
 * stories260K the same tokens as its plain prompt; {@code reward}, {@code dpo}, {@code sft} and {@code ppo}
 * read the {@code messages} export and {@code {"messages"}} lines, and on a model without a chat
 * template (the plain template) train exactly as on the equivalent {@code pairs} / {@code prompt} lines.
 * On tiny-random-qwen3 (a real chat template): {@code --prompt-ids} of the rendered cases equal their
 * {@code {"messages"}} lines, and the messages export trains exactly as the rankings export (its
 * {@code conversation}), not as the pairs export.
 */
class ConversationCommandsTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String MODEL = SharedData.stories260kModel().toString();
    static final String TOKENIZER = SharedData.stories260kTokenizer().toString();
    /** The prompt of the README's second reference output and its tokens. */
    static final String DOG = "Once upon a time, a dog";
    static final int[] DOG_IDS = {1, 403, 407, 261, 378, 432, 261, 400, 428};
    static final int[] DOG_GREEDY = {395, 392, 412, 444, 286, 399, 344, 444};

    @TempDir
    Path temp;

    @Test
    void renderReproducesEveryQwen3CaseByteForByteFromTheTokenizerFilesAlone() throws Exception {
        JsonNode file = JSON.readTree(SharedData.dir().resolve("data/chat-templates/qwen3-cases.json").toFile());
        List<String> lines = new ArrayList<>();
        for (JsonNode c : file.get("cases")) {
            ObjectNode line = JSON.createObjectNode();
            line.set("messages", c.get("messages"));
            line.set("add_generation_prompt", c.get("add_generation_prompt"));
            if (c.has("template_kwargs")) {
                line.set("template_kwargs", c.get("template_kwargs"));
            }
            lines.add(JSON.writeValueAsString(line));
        }
        Path data = temp.resolve("cases.jsonl");
        Files.write(data, lines);
        CapturedRun r = CapturedRun.of("render", "--model", SharedData.dir().resolve("data/models/tiny-random-qwen3").toString(),
                "--data", data.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> out = r.out().lines().toList();
        assertThat(out).hasSize(file.get("cases").size()).hasSize(6);
        for (int i = 0; i < out.size(); i++) {
            JsonNode expected = file.get("cases").get(i);
            JsonNode actual = JSON.readTree(out.get(i));
            assertThat(actual.get("text").asString()).as(expected.get("name").asString()).isEqualTo(expected.get("rendered").asString());
            assertThat(actual.get("token_ids")).as(expected.get("name").asString()).isEqualTo(expected.get("token_ids"));
        }
    }

    @Test
    void renderOfAPlainModelIsBosAndTheTextAndBadLinesNameTheirLine() throws Exception {
        Path data = temp.resolve("plain.jsonl");
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"" + DOG + "\"}], \"add_generation_prompt\": true}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");
        CapturedRun r = CapturedRun.of("render", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", data.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> out = r.out().lines().map(JSON::readTree).toList();
        assertThat(out.get(0).get("text").asString()).isEqualTo(DOG);
        assertThat(ids(out.get(0).get("token_ids"))).containsExactly(DOG_IDS);
        assertThat(out.get(1).get("text").asString()).isEqualTo("\n\nHuman: Hi\n\nAssistant: Hello");

        Path bad = temp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n{\"messages\": [{\"role\": \"user\"}]}\n");
        CapturedRun b = CapturedRun.of("render", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", bad.toString());
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err().strip()).doesNotContain("\n").contains(bad + " line 2").contains("\"messages\"[0]");
    }

    @Test
    void generateFromPromptIdsAndFromAMessagesLineMatchesThePlainPromptsReferenceTokens() throws Exception {
        String ids = java.util.Arrays.stream(DOG_IDS).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
        CapturedRun r = CapturedRun.of("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt-ids", ids,
                "--temperature", "0", "--max-new-tokens", "8", "--device", "cpu");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode sample = JSON.readTree(r.out().strip());
        assertThat(ids(sample.get("token_ids"))).containsExactly(DOG_GREEDY);

        Path data = temp.resolve("prompts.jsonl");
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"" + DOG + "\"}]}\n");
        CapturedRun m = CapturedRun.of("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", data.toString(),
                "--temperature", "0", "--max-new-tokens", "8", "--device", "cpu");
        assertThat(m.code()).as(m.err()).isZero();
        JsonNode fromMessages = JSON.readTree(m.out().strip());
        assertThat(ids(fromMessages.get("token_ids"))).containsExactly(DOG_GREEDY);
        assertThat(fromMessages.get("completion").asString()).isEqualTo(sample.get("completion").asString());

        CapturedRun bad = CapturedRun.of("generate", "--model", MODEL, "--tokenizer", TOKENIZER, "--prompt-ids", "1,x");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--prompt-ids");
    }

    static final String QWEN3 = SharedData.dir().resolve("data/models/tiny-random-qwen3").toString();

    /**
     * On Qwen3 (a real chat template): {@code --prompt-ids} of each rendered case with a generation prompt
     * (qwen3-cases.json's token ids) and the case's {@code {"messages"}} line give the same greedy tokens and logprob.
     */
    @Test
    void onQwen3GenerateFromTheRenderedCaseIdsEqualsGenerateFromItsMessagesLine() throws Exception {
        JsonNode file = JSON.readTree(SharedData.dir().resolve("data/chat-templates/qwen3-cases.json").toFile());
        List<String> lines = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("generate", "--model", QWEN3, "--temperature", "0", "--max-new-tokens", "6", "--device", "cpu"));
        for (JsonNode c : file.get("cases")) {
            if (!c.get("add_generation_prompt").asBoolean()) {
                continue;
            }
            ObjectNode line = JSON.createObjectNode();
            line.set("messages", c.get("messages"));
            if (c.has("template_kwargs")) {
                line.set("template_kwargs", c.get("template_kwargs"));
            }
            lines.add(JSON.writeValueAsString(line));
            StringBuilder ids = new StringBuilder();
            c.get("token_ids").forEach(id -> ids.append(ids.isEmpty() ? "" : ",").append(id.asInt()));
            args.addAll(List.of("--prompt-ids", ids.toString()));
        }
        assertThat(lines).hasSize(4);
        Path data = temp.resolve("qwen-messages.jsonl");
        Files.write(data, lines);
        CapturedRun fromIds = CapturedRun.of(args.toArray(String[]::new));
        CapturedRun fromMessages = CapturedRun.of("generate", "--model", QWEN3, "--data", data.toString(), "--temperature", "0",
                "--max-new-tokens", "6", "--device", "cpu");
        assertThat(fromIds.code()).as(fromIds.err()).isZero();
        assertThat(fromMessages.code()).as(fromMessages.err()).isZero();
        List<JsonNode> a = fromIds.out().lines().filter(l -> l.startsWith("{")).map(JSON::readTree).toList();
        List<JsonNode> b = fromMessages.out().lines().filter(l -> l.startsWith("{")).map(JSON::readTree).toList();
        assertThat(a).hasSize(4);
        assertThat(b).hasSize(4);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).get("token_ids")).as("case %d", i).isEqualTo(a.get(i).get("token_ids"));
            assertThat(b.get(i).get("logprob").asDouble()).as("case %d", i).isEqualTo(a.get(i).get("logprob").asDouble());
        }
    }

    /**
     * On Qwen3, {@code reward} and {@code dpo} train on the messages export exactly as on the rankings export of the
     * same rankings (its {@code conversation} rendered by the chat template): every metric of every step equal.
     * The pairs export (a prompt string: the transcript as one user turn) is a different prompt there, and trains differently.
     */
    @Test
    void onQwen3RewardAndDpoTrainOnTheMessagesExportExactlyAsOnTheRankingsExport() throws Exception {
        String turns = "{\"role\": \"system\", \"content\": \"Tell stories.\"}, {\"role\": \"user\", \"content\": \"Tim saw a bird.\"}, "
                + "{\"role\": \"assistant\", \"content\": \"The bird was blue.\"}, {\"role\": \"user\", \"content\": \"What next?\"}";
        String transcript = "\\n\\nSystem: Tell stories.\\n\\nHuman: Tim saw a bird.\\n\\nAssistant: The bird was blue.\\n\\nHuman: What next?\\n\\nAssistant:";
        Path messages = temp.resolve("q-messages.jsonl");
        Files.writeString(messages,
                "{\"chosen\": [" + turns + ", {\"role\": \"assistant\", \"content\": \"The bird flew to the park.\"}], "
                        + "\"rejected\": [" + turns + ", {\"role\": \"assistant\", \"content\": \"The bird sat.\"}]}\n"
                        + "{\"chosen\": [{\"role\": \"user\", \"content\": \"One day, Sue\"}, {\"role\": \"assistant\", \"content\": \"went to the park.\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"One day, Sue\"}, {\"role\": \"assistant\", \"content\": \"stayed home.\"}]}\n");
        Path rankings = temp.resolve("q-rankings.jsonl");
        Files.writeString(rankings,
                "{\"prompt\": \"" + transcript + "\", \"conversation\": [" + turns + "], \"responses\": [{\"id\": \"a\", \"text\": \"The bird flew to the park.\"}, "
                        + "{\"id\": \"b\", \"text\": \"The bird sat.\"}], \"ranking\": [[\"a\"], [\"b\"]], \"annotator_id\": \"x\"}\n"
                        + "{\"prompt\": \"One day, Sue\", \"conversation\": [{\"role\": \"user\", \"content\": \"One day, Sue\"}], \"responses\": [{\"id\": \"a\", \"text\": \"went to the park.\"}, "
                        + "{\"id\": \"b\", \"text\": \"stayed home.\"}], \"ranking\": [[\"a\"], [\"b\"]], \"annotator_id\": \"x\"}\n");
        Path pairs = temp.resolve("q-pairs.jsonl");
        Files.writeString(pairs,
                "{\"prompt\": \"" + transcript + "\", \"chosen\": \"The bird flew to the park.\", \"rejected\": \"The bird sat.\"}\n"
                        + "{\"prompt\": \"One day, Sue\", \"chosen\": \"went to the park.\", \"rejected\": \"stayed home.\"}\n");
        for (String command : List.of("reward", "dpo")) {
            // reward: 2 steps (its step-1 loss already reads the prompt through the value head); dpo: step 1's
            // logps/chosen (its step-1 loss is ln 2 whatever the data, the policy being the reference).
            int steps = command.equals("reward") ? 2 : 1;
            List<List<String>> runs = new ArrayList<>();
            for (Path file : List.of(messages, rankings, pairs)) {
                Path metrics = temp.resolve(command + "-q-" + file.getFileName());
                CapturedRun r = CapturedRun.of(command, "--model", QWEN3, "--data", file.toString(),
                        "--out", temp.resolve(command + "-q-out-" + file.getFileName()).toString(), "--metrics", metrics.toString(),
                        "--seed", "5", "--device", "cpu", "--max-steps", Integer.toString(steps), "--batch-size", "2", "--lr", "1e-3",
                        "--preset", "small");
                assertThat(r.code()).as(command + " " + file + ": " + r.err()).isZero();
                runs.add(Files.readAllLines(metrics));
            }
            List<JsonNode> fromMessages = runs.get(0).stream().map(JSON::readTree).toList();
            List<JsonNode> fromRankings = runs.get(1).stream().map(JSON::readTree).toList();
            List<JsonNode> fromPairs = runs.get(2).stream().map(JSON::readTree).toList();
            assertThat(fromMessages).hasSize(steps);
            String metric = command.equals("reward") ? "loss" : "logps/chosen";
            for (int step = 0; step < steps; step++) {
                assertThat(fromMessages.get(step).get("loss").asDouble()).as(command + " step " + step)
                        .isEqualTo(fromRankings.get(step).get("loss").asDouble());
                assertThat(fromMessages.get(step).get(metric).asDouble()).as(command + " step " + step)
                        .isEqualTo(fromRankings.get(step).get(metric).asDouble());
            }
            assertThat(fromPairs.getFirst().get(metric).asDouble()).as(command + ": the pairs export's prompt is another prompt on Qwen")
                    .isNotEqualTo(fromMessages.getFirst().get(metric).asDouble());
        }
    }

    /** Multi-turn preference data as the messages export and as the pairs export (prompt = the plain transcript). */
    Path[] preferenceData() throws Exception {
        String turns = "{\"role\": \"system\", \"content\": \"Tell stories.\"}, {\"role\": \"user\", \"content\": \"Tim saw a bird.\"}, "
                + "{\"role\": \"assistant\", \"content\": \"The bird was blue.\"}, {\"role\": \"user\", \"content\": \"What next?\"}";
        String transcript = "\\n\\nSystem: Tell stories.\\n\\nHuman: Tim saw a bird.\\n\\nAssistant: The bird was blue.\\n\\nHuman: What next?\\n\\nAssistant:";
        Path messages = temp.resolve("messages.jsonl");
        Files.writeString(messages,
                "{\"chosen\": [" + turns + ", {\"role\": \"assistant\", \"content\": \" The bird flew to the park.\"}], "
                        + "\"rejected\": [" + turns + ", {\"role\": \"assistant\", \"content\": \" The bird sat.\"}]}\n"
                        + "{\"chosen\": [{\"role\": \"user\", \"content\": \"One day, Sue\"}, {\"role\": \"assistant\", \"content\": \" went to the park.\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"One day, Sue\"}, {\"role\": \"assistant\", \"content\": \" stayed home.\"}]}\n");
        Path pairs = temp.resolve("pairs.jsonl");
        Files.writeString(pairs,
                "{\"prompt\": \"" + transcript + "\", \"chosen\": \" The bird flew to the park.\", \"rejected\": \" The bird sat.\"}\n"
                        + "{\"prompt\": \"One day, Sue\", \"chosen\": \" went to the park.\", \"rejected\": \" stayed home.\"}\n");
        return new Path[] {messages, pairs};
    }

    @Test
    void rewardAndDpoTrainOnTheMessagesExportExactlyAsOnThePairsExport() throws Exception {
        Path[] data = preferenceData();
        for (String command : List.of("reward", "dpo")) {
            List<JsonNode> firstSteps = new ArrayList<>();
            for (Path file : data) {
                Path metrics = temp.resolve(command + "-" + file.getFileName());
                CapturedRun r = CapturedRun.of(command, "--model", MODEL, "--tokenizer", TOKENIZER, "--data", file.toString(),
                        "--out", temp.resolve(command + "-out-" + file.getFileName()).toString(), "--metrics", metrics.toString(),
                        "--seed", "5", "--device", "cpu", "--max-steps", "1", "--batch-size", "2", "--lr", "1e-3",
                        "--preset", "small");
                assertThat(r.code()).as(command + " " + file + ": " + r.err()).isZero();
                firstSteps.add(JSON.readTree(Files.readAllLines(metrics).getFirst()));
            }
            assertThat(firstSteps.get(0).get("loss").asDouble()).as(command).isEqualTo(firstSteps.get(1).get("loss").asDouble());
        }
    }

    @Test
    void sftAndPpoReadMessagesLines() throws Exception {
        Path messages = temp.resolve("sft-messages.jsonl");
        Files.writeString(messages, "{\"messages\": [{\"role\": \"user\", \"content\": \"Lily had a cat.\"}, "
                + "{\"role\": \"assistant\", \"content\": \" The cat was soft and liked to sleep.\"}]}\n");
        Path plain = temp.resolve("sft-plain.jsonl");
        Files.writeString(plain, "{\"prompt\": \"Lily had a cat.\", \"completion\": \" The cat was soft and liked to sleep.\"}\n");
        List<Double> losses = new ArrayList<>();
        for (Path file : List.of(messages, plain)) {
            Path metrics = temp.resolve("sft-" + file.getFileName());
            CapturedRun r = CapturedRun.of("sft", "--model", MODEL, "--tokenizer", TOKENIZER, "--data", file.toString(),
                    "--out", temp.resolve("sft-out-" + file.getFileName()).toString(), "--metrics", metrics.toString(),
                    "--max-steps", "1", "--seed", "1", "--device", "cpu");
            assertThat(r.code()).as(r.err()).isZero();
            losses.add(JSON.readTree(Files.readAllLines(metrics).getFirst()).get("loss").asDouble());
        }
        assertThat(losses.get(0)).isEqualTo(losses.get(1));

        Path rm = temp.resolve("rm");
        CapturedRun reward = CapturedRun.of("reward", "--model", MODEL, "--tokenizer", TOKENIZER, "--data",
                preferenceData()[0].toString(), "--out", rm.toString(), "--max-steps", "1", "--device", "cpu", "--preset", "small");
        assertThat(reward.code()).as(reward.err()).isZero();
        Path prompts = temp.resolve("ppo-prompts.jsonl");
        Files.writeString(prompts, "{\"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time,\"}]}\n"
                + "{\"messages\": [{\"role\": \"system\", \"content\": \"Tell stories.\"}, {\"role\": \"user\", \"content\": \"Tom had a\"}]}\n");
        Path metrics = temp.resolve("ppo.jsonl");
        CapturedRun ppo = CapturedRun.of("ppo", "--model", MODEL, "--tokenizer", TOKENIZER, "--reward-model", rm.resolve("model").toString(),
                "--data", prompts.toString(), "--out", temp.resolve("ppo-out").toString(), "--metrics", metrics.toString(),
                "--batch-size", "2", "--num-mini-batches", "1", "--ppo-epochs", "1", "--max-new-tokens", "4", "--max-steps", "1",
                "--seed", "3", "--device", "cpu");
        assertThat(ppo.code()).as(ppo.err()).isZero();
        assertThat(JSON.readTree(Files.readAllLines(metrics).getFirst()).has("objective/scores")).isTrue();
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
