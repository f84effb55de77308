package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code trainer ppo} as CONTRACTS.md describes it, on stories260K with a value-head reward model. */
class PpoCommandTest {

    static final String MODEL = SharedData.stories260kModel().toString();
    static final String TOKENIZER = SharedData.stories260kTokenizer().toString();

    @TempDir
    static Path shared;

    static Path rewardModel;
    static Path prompts;

    @BeforeAll
    static void rewardModelAndPrompts() throws Exception {
        rewardModel = shared.resolve("rm");
        try (LoadedModel rm = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            LlamaModel m = rm.model();
            m.addValueHead();
            Random random = new Random(1);
            float[] w = new float[m.config().dim()];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            NDArray head = m.manager().create(w, m.parameter(LlamaModel.VALUE_HEAD_WEIGHT).getShape());
            m.replaceParameter(LlamaModel.VALUE_HEAD_WEIGHT, head);
            ModelCheckpoint.save(m, rm.tokenizer(), rewardModel, Map.of("phase", "reward"));
        }
        prompts = shared.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"Once upon a time,\"}\n{\"prompt\": \"Tom had a\"}\n\n{\"prompt\": \"The cat\"}\n");
    }

    @TempDir
    Path temp;

    @Test
    void trainsFromAConfigFileWithFlagsOverridingAndWritesContractMetrics() throws Exception {
        Path config = temp.resolve("ppo.json");
        Files.writeString(config, "{\"model\": \"" + MODEL + "\", \"tokenizer\": \"" + TOKENIZER + "\", \"reward-model\": \""
                + rewardModel + "\", \"data\": \"" + prompts + "\", \"batch-size\": 4, \"num-mini-batches\": 2, "
                + "\"ppo-epochs\": 1, \"max-new-tokens\": 8, \"kl-coef\": 0.3, \"lr\": 1e-3, \"max-steps\": 9}");
        Path ptx = temp.resolve("ptx.jsonl");
        Files.writeString(ptx, "{\"text\": \"Lily had a dog.\"}\n{\"prompt\": \"Sam saw\", \"completion\": \" a bird.\"}\n");
        Path metrics = temp.resolve("metrics.jsonl");
        Path out = temp.resolve("out");
        GenerateCommandTest.Result r = GenerateCommandTest.run("ppo", "--config", config.toString(), "--out", out.toString(),
                "--metrics", metrics.toString(), "--max-steps", "3", "--kl-coef", "0.1", "--kl-target", "1",
                "--ptx-coef", "0.5", "--ptx-data", ptx.toString(), "--kl-estimator", "k3", "--seed", "3", "--device", "cpu",
                "--offload-frozen");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("ppo [").contains("ETA");
        List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).hasSize(3); // flag --max-steps 3 overrides the file's 9
        var json = JsonMapper.builder().build();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = json.readTree(lines.get(i));
            assertThat(line.get("phase").asString()).isEqualTo("ppo");
            assertThat(line.get("step").asInt()).isEqualTo(i + 1);
            for (String name : List.of("objective/kl", "objective/entropy", "objective/scores", "objective/rlhf_reward",
                    "policy/approxkl", "policy/clipfrac", "loss/policy", "loss/value", "val/clipfrac", "loss/ptx", "kl_coef")) {
                assertThat(line.has(name)).as(name).isTrue();
            }
        }
        JsonNode first = json.readTree(lines.getFirst());
        assertThat(first.get("kl_coef").asDouble()).isEqualTo(0.1); // the flag, not the file's 0.3
        assertThat(first.get("objective/kl").asDouble()).isZero();
        assertThat(first.get("policy/clipfrac").asDouble()).isZero();
        assertThat(out.resolve("model/rlhf-model.json")).exists();
        assertThat(out.resolve("resume/trainer-state.json")).exists();
        assertThat(ModelCheckpoint.readMetadata(out.resolve("model"))).containsEntry("phase", "ppo");
    }

    /**
     * Stopped after step 3 (in the middle of the second rollout) and resumed with --resume: the same
     * metric lines, every metric, and the same trained actor and critic, byte for byte.
     */
    @Test
    void resumeFromTheCommandLineRepeatsTheUninterruptedMetricsAndWeights() throws Exception {
        String[] base = {"ppo", "--model", MODEL, "--tokenizer", TOKENIZER, "--reward-model", rewardModel.toString(),
            "--data", prompts.toString(), "--batch-size", "4", "--num-mini-batches", "2", "--ppo-epochs", "1",
            "--max-new-tokens", "8", "--lr", "1e-3", "--kl-target", "1", "--seed", "4", "--checkpoint-every", "1"};
        Path whole = temp.resolve("whole");
        var all = GenerateCommandTest.run(concat(base, "--out", whole.toString(), "--metrics", whole.resolve("m.jsonl").toString(),
                "--max-steps", "8"));
        assertThat(all.code()).as(all.err()).isZero();
        Path parts = temp.resolve("parts");
        var first = GenerateCommandTest.run(concat(base, "--out", parts.toString(), "--metrics", parts.resolve("m.jsonl").toString(),
                "--max-steps", "3"));
        assertThat(first.code()).as(first.err()).isZero();
        var rest = GenerateCommandTest.run(concat(base, "--out", parts.toString(), "--metrics", parts.resolve("m.jsonl").toString(),
                "--max-steps", "8", "--resume"));
        assertThat(rest.code()).as(rest.err()).isZero();
        List<String> resumed = Files.readAllLines(parts.resolve("m.jsonl"));
        List<String> uninterrupted = Files.readAllLines(whole.resolve("m.jsonl"));
        assertThat(resumed).hasSize(8).isEqualTo(uninterrupted);
        for (String model : List.of("model", "critic")) {
            assertThat(Files.readAllBytes(parts.resolve(model).resolve(ModelCheckpoint.WEIGHTS))).as(model)
                    .isEqualTo(Files.readAllBytes(whole.resolve(model).resolve(ModelCheckpoint.WEIGHTS)));
        }
    }

    /** {@code --advantage grpo} (Dr. GRPO's options): trains the actor alone, writes no critic and no value metrics. */
    @Test
    void criticFreeAdvantageTrainsWithoutACritic() throws Exception {
        Path out = temp.resolve("grpo");
        Path metrics = out.resolve("m.jsonl");
        var r = GenerateCommandTest.run("ppo", "--model", MODEL, "--tokenizer", TOKENIZER, "--reward-model", rewardModel.toString(),
                "--data", prompts.toString(), "--out", out.toString(), "--metrics", metrics.toString(), "--batch-size", "4",
                "--num-samples", "2", "--num-mini-batches", "2", "--ppo-epochs", "1", "--max-new-tokens", "8", "--lr", "1e-3",
                "--max-steps", "4", "--advantage", "grpo", "--scale-rewards", "false", "--loss-normalizer", "dr-grpo");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).hasSize(4);
        var json = JsonMapper.builder().build();
        for (String line : lines) {
            JsonNode node = json.readTree(line);
            assertThat(node.has("loss/policy")).isTrue();
            assertThat(node.has("loss/value")).isFalse();
        }
        assertThat(out.resolve("model/rlhf-model.json")).exists();
        assertThat(out.resolve("critic")).doesNotExist();
    }

    @Test
    void badInputExitsWithCodeTwoAndOneLineNamingIt() throws Exception {
        String[] base = {"ppo", "--model", MODEL, "--tokenizer", TOKENIZER, "--out", temp.resolve("o").toString(),
            "--max-steps", "1", "--batch-size", "2", "--max-new-tokens", "4"};

        var noRm = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model", temp.resolve("none").toString()));
        assertThat(noRm.code()).isEqualTo(2);
        assertThat(noRm.err().strip()).doesNotContain("\n").contains("none");

        var notRm = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model", MODEL));
        assertThat(notRm.code()).isEqualTo(2);
        assertThat(notRm.err().strip()).doesNotContain("\n").contains("value head");

        Path bad = temp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n");
        var badLine = GenerateCommandTest.run(concat(base, "--data", bad.toString(), "--reward-model", rewardModel.toString()));
        assertThat(badLine.code()).isEqualTo(2);
        assertThat(badLine.err().strip()).doesNotContain("\n").contains("bad.jsonl line 2");

        var ptxWithoutData = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--ptx-coef", "1"));
        assertThat(ptxWithoutData.code()).isEqualTo(2);
        assertThat(ptxWithoutData.err()).contains("--ptx-data");

        var badKl = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--kl-coef", "-1"));
        assertThat(badKl.code()).isEqualTo(2);
        assertThat(badKl.err().strip()).doesNotContain("\n").contains("kl-coef");

        var badBatch = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--num-mini-batches", "3"));
        assertThat(badBatch.code()).isEqualTo(2);
        assertThat(badBatch.err()).contains("num-mini-batches");

        // top-k / top-p would make PPO off-policy (its log-probabilities are over the full vocabulary)
        var topK = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--top-k", "50"));
        assertThat(topK.code()).isEqualTo(2);
        assertThat(topK.err().strip()).doesNotContain("\n").contains("--top-k 50").contains("not supported by PPO");
        var topP = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--top-p", "0.9"));
        assertThat(topP.code()).isEqualTo(2);
        assertThat(topP.err().strip()).doesNotContain("\n").contains("--top-p 0.9").contains("not supported by PPO");

        // the critic-free advantages compare the K samples of a prompt: K = 1 is refused
        var oneSample = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--advantage", "rloo", "--num-samples", "1"));
        assertThat(oneSample.code()).isEqualTo(2);
        assertThat(oneSample.err().strip()).doesNotContain("\n").contains("num-samples >= 2");
        var badAdvantage = GenerateCommandTest.run(concat(base, "--data", prompts.toString(), "--reward-model",
                rewardModel.toString(), "--advantage", "vtrace"));
        assertThat(badAdvantage.code()).isEqualTo(2);
        assertThat(badAdvantage.err()).contains("gae, rloo or grpo");

        var missing = GenerateCommandTest.run("ppo", "--model", MODEL);
        assertThat(missing.code()).isEqualTo(2);
    }

    static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
