package dev.rlhf.trainer.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.LogitsProcessing;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.Lora;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Supervised fine-tuning of stories260K on real OpenAssistant prompt / best-reply pairs. */
class SftTrainerTest {

    static List<SftExample> oasst;

    @TempDir
    Path temp;

    @BeforeAll
    static void readOasst() throws Exception {
        oasst = readOasstDemonstrations();
        assertThat(oasst).hasSizeGreaterThan(90);
    }

    /** Each OASST tree's prompt with its best-ranked assistant reply (rank 0), as a demonstration. */
    static List<SftExample> readOasstDemonstrations() throws Exception {
        List<SftExample> oasst = new ArrayList<>();
        var json = JsonMapper.builder().build();
        try (BufferedReader in = Files.newBufferedReader(SharedData.dir().resolve("data/preferences/oasst-en-100-trees.jsonl"))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode prompt = json.readTree(line).get("prompt");
                for (JsonNode reply : prompt.get("replies")) {
                    if (reply.path("rank").asInt(-1) == 0) {
                        oasst.add(new SftExample("User: " + prompt.get("text").asString() + "\nAssistant:",
                                " " + reply.get("text").asString()));
                    }
                }
            }
        }
        return oasst;
    }

    static LoadedModel stories() throws Exception {
        return ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }

    static SftConfig small() {
        return SftConfig.defaults().withLearningRate(3e-3f).with(b -> b.batchSize(8).gradientAccumulation(1).maxSeqLen(96)
                .epochs(1).maxSteps(12).evalEvery(6).evalFraction(0.2f).earlyStoppingPatience(0).checkpointEvery(0)
                .warmupRatio(0.25f).minLrRatio(0.1f));
    }

    @Test
    void maskedLossAveragesOnlyCompletionTokens() throws Exception {
        try (LoadedModel loaded = stories(); NDManager scope = loaded.model().manager().newSubManager()) {
            var tokenizer = loaded.tokenizer();
            TokenizedExample a = TokenizedExample.of(new SftExample("Once upon a time,", " a dog ran."), tokenizer, 64, false);
            TokenizedExample b = TokenizedExample.of(new SftExample("", "Tim had a red ball."), tokenizer, 64, true);
            assertThat(a.lossFrom()).isEqualTo(tokenizer.encode("Once upon a time,").length);
            assertThat(b.lossFrom()).isEqualTo(1);
            assertThat(b.ids()[b.ids().length - 1]).isEqualTo(tokenizer.eosId());
            float loss = SftLoss.meanNll(loaded.model(), List.of(a, b), scope).getFloat();
            // By hand: each example alone, log-softmax in Java, completion positions only.
            double nll = 0;
            int count = 0;
            for (TokenizedExample e : List.of(a, b)) {
                float[] logits = loaded.model().forward(scope.create(e.ids()).reshape(1, e.ids().length)).toFloatArray();
                for (int t = e.lossFrom(); t < e.ids().length; t++) {
                    float[] row = Arrays.copyOfRange(logits, (t - 1) * 512, t * 512);
                    nll -= LogitsProcessing.logSoftmaxAt(row, e.ids()[t]);
                    count++;
                }
            }
            assertThat(loss).isCloseTo((float) (nll / count), within(1e-4f));
        }
    }

    @Test
    void fineTuningLowersLossOnHeldOutConversations() throws Exception {
        List<Map<String, Object>> lines = new ArrayList<>();
        try (LoadedModel loaded = stories()) {
            SftTrainer trainer = new SftTrainer(loaded, small(), (phase, step, values) -> lines.add(withStep(step, values)));
            List<SftExample> train = oasst.subList(0, 80);
            List<SftExample> heldOut = oasst.subList(80, oasst.size());
            double before = trainer.evaluate(trainer.tokenize(heldOut));
            SftTrainer.Result result = trainer.train(train, heldOut, temp.resolve("run"), false);
            assertThat(result.steps()).isEqualTo(12);
            assertThat(result.lastEvalLoss()).isLessThan(before - 0.3);
            assertThat(Files.exists(temp.resolve("run/model/rlhf-model.json"))).isTrue();
            try (LoadedModel saved = ModelLoader.load(temp.resolve("run/model"), null, Device.cpu())) {
                double reloaded = new SftTrainer(saved, small(), MetricsSink.none()).evaluate(trainer.tokenize(heldOut));
                assertThat(reloaded).isCloseTo(result.lastEvalLoss(), within(1e-4));
            }
        }
        assertThat(lines.stream().filter(l -> l.containsKey("loss"))).hasSize(12);
        assertThat(lines.stream().filter(l -> l.containsKey("eval_loss"))).hasSize(2);
        assertThat(lines.getFirst()).containsKeys("loss", "learning_rate", "grad_norm");
        // Warmup then cosine decay.
        double lr1 = (double) lines.get(0).get("learning_rate");
        double lr2 = (double) lines.get(1).get("learning_rate");
        double lastLr = (double) lines.stream().filter(l -> l.containsKey("learning_rate")).toList().getLast().get("learning_rate");
        assertThat(lr2).isGreaterThan(lr1);
        assertThat(lastLr).isCloseTo(3e-4, within(1e-6));
    }

    @Test
    void resumeAfterAKillContinuesTheSameLossCurve() throws Exception {
        // Separate processes, as in real life: one uninterrupted, one killed at step 5 (after the
        // checkpoint of step 3), then a fresh process resuming from what the killed one left.
        Map<Integer, Double> uninterrupted = trainInChildProcess(temp.resolve("a"), false, 0, 0);
        Map<Integer, Double> killed = trainInChildProcess(temp.resolve("b"), false, 5, 137);
        Map<Integer, Double> resumed = trainInChildProcess(temp.resolve("b"), true, 0, 0);
        assertThat(uninterrupted.keySet()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(killed.keySet()).containsExactly(1, 2, 3, 4);
        assertThat(resumed.keySet()).containsExactly(4, 5, 6, 7, 8); // continues after the step-3 checkpoint
        for (int step = 1; step <= 4; step++) {
            assertThat(killed.get(step)).as("loss at step %d before the kill", step).isCloseTo(uninterrupted.get(step), within(1e-6));
        }
        for (int step = 4; step <= 8; step++) {
            assertThat(resumed.get(step)).as("loss at step %d after resuming", step).isCloseTo(uninterrupted.get(step), within(1e-6));
        }
    }

    static Map<Integer, Double> trainInChildProcess(Path out, boolean resume, int dieAt, int expectedExit) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Drlhf.shared.dir=" + SharedData.dir(), "-cp", System.getProperty("java.class.path"),
                SftResumeProbe.class.getName(), out.toString(), Boolean.toString(resume), Integer.toString(dieAt))
                .redirectErrorStream(true);
        // Bitwise-reproducible arithmetic across processes: one thread everywhere (MKL otherwise picks
        // its thread count from the machine's load, which changes summation order) and MKL's
        // conditional-numerical-reproducibility mode.
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.environment().put("MKL_NUM_THREADS", "1");
        builder.environment().put("MKL_DYNAMIC", "FALSE");
        builder.environment().put("MKL_CBWR", "COMPATIBLE");
        Process process = builder.start();
        Map<Integer, Double> losses = new TreeMap<>();
        StringBuilder output = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                output.append(line).append('\n');
                if (line.startsWith("loss ")) {
                    String[] parts = line.split(" ");
                    losses.put(Integer.parseInt(parts[1]), Double.parseDouble(parts[2]));
                }
            }
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output.toString()).isEqualTo(expectedExit);
        return losses;
    }

    @Test
    void frozenLayersStayFixedWhileTheRestLearns() throws Exception {
        try (LoadedModel original = stories(); LoadedModel loaded = stories()) {
            new SftTrainer(loaded, small().with(b -> b.epochs(1).maxSteps(3)).withFreezeLayers(2), MetricsSink.none())
                    .train(oasst.subList(0, 40), null, temp.resolve("frozen"), false);
            LlamaModel before = original.model();
            LlamaModel after = loaded.model();
            for (String name : List.of(LlamaModel.EMBEDDING, LlamaModel.layer(0, "self_attn.q_proj.weight"),
                    LlamaModel.layer(1, "mlp.down_proj.weight"), LlamaModel.layer(1, "input_layernorm.weight"))) {
                assertThat(after.parameter(name).toFloatArray()).as(name).containsExactly(before.parameter(name).toFloatArray());
            }
            assertThat(after.parameter(LlamaModel.layer(4, "mlp.down_proj.weight")).toFloatArray())
                    .isNotEqualTo(before.parameter(LlamaModel.layer(4, "mlp.down_proj.weight")).toFloatArray());
        }
    }

    @Test
    void loraTrainsOnlyAdaptersAndMergesIntoTheSameFunction() throws Exception {
        try (LoadedModel original = stories(); LoadedModel loaded = stories()) {
            LlamaModel model = loaded.model();
            Lora lora = new Lora(model, new Lora.Settings(4, 8f, List.of("q_proj", "v_proj")), 1);
            // Give B non-zero values so the adapters change the function, then merge.
            for (Map.Entry<String, NDArray> e : lora.parameters().entrySet()) {
                if (e.getKey().endsWith(".B")) {
                    float[] values = new float[(int) e.getValue().getShape().size()];
                    Arrays.fill(values, 0.01f);
                    e.getValue().set(values);
                }
            }
            int[] tokens = {1, 403, 407, 261, 378, 432};
            float[] withAdapters = logits(model, tokens);
            assertThat(withAdapters).isNotEqualTo(logits(original.model(), tokens));
            lora.merge();
            assertThat(model.adapters()).isEmpty();
            assertThat(logits(model, tokens)).containsExactly(withAdapters, within(1e-4f));
            lora.close();
        }
        try (LoadedModel original = stories(); LoadedModel loaded = stories()) {
            SftConfig config = small().with(b -> b.epochs(1).maxSteps(4)).withLora(new Lora.Settings(4, 8f, List.of("q_proj", "v_proj")));
            new SftTrainer(loaded, config, MetricsSink.none()).train(oasst.subList(0, 40), null, temp.resolve("lora"), false);
            String q = LlamaModel.layer(0, "self_attn.q_proj.weight");
            String up = LlamaModel.layer(0, "mlp.up_proj.weight");
            assertThat(loaded.model().parameter(q).toFloatArray()).isNotEqualTo(original.model().parameter(q).toFloatArray());
            assertThat(loaded.model().parameter(up).toFloatArray()).containsExactly(original.model().parameter(up).toFloatArray());
        }
    }

    static float[] logits(LlamaModel model, int[] tokens) {
        try (NDManager scope = model.manager().newSubManager()) {
            return model.forward(scope.create(tokens).reshape(1, tokens.length)).toFloatArray();
        }
    }

    static void record(Map<Integer, Double> losses, int step, Map<String, Double> values) {
        if (values.containsKey("loss")) {
            losses.put(step, values.get("loss"));
        }
    }

    static Map<String, Object> withStep(int step, Map<String, Double> values) {
        Map<String, Object> m = new HashMap<>(values);
        m.put("step", step);
        return m;
    }
}
