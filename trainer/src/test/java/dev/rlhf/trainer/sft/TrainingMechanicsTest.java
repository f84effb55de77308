package dev.rlhf.trainer.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.LearningRateSchedule;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces SFT stands on: accumulation, clipping, AdamW's decay rule, the schedule, early stopping. */
class TrainingMechanicsTest {

    @TempDir
    Path temp;

    static LoadedModel stories() throws Exception {
        return ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }

    static List<TokenizedExample> randomBatch(int rows, int length, long seed) {
        Random random = new Random(seed);
        List<TokenizedExample> batch = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int[] ids = new int[length];
            ids[0] = 1;
            for (int i = 1; i < length; i++) {
                ids[i] = 3 + random.nextInt(500);
            }
            batch.add(new TokenizedExample(ids, 4));
        }
        return batch;
    }

    @Test
    void gradientsAccumulateAcrossMicroBatchesLikeOneLargeBatch() throws Exception {
        List<TokenizedExample> batch = randomBatch(8, 20, 1);
        String name = LlamaModel.layer(2, "mlp.up_proj.weight");
        float[] whole;
        float[] accumulated;
        try (LoadedModel loaded = stories()) {
            LlamaModel model = loaded.model();
            model.setTrainable(n -> true);
            backward(model, batch, 1f);
            whole = model.parameter(name).getGradient().toFloatArray();
        }
        try (LoadedModel loaded = stories()) {
            LlamaModel model = loaded.model();
            model.setTrainable(n -> true);
            backward(model, batch.subList(0, 4), 0.5f);
            backward(model, batch.subList(4, 8), 0.5f);
            accumulated = model.parameter(name).getGradient().toFloatArray();
        }
        assertThat(accumulated).containsExactly(whole, within(1e-6f));
    }

    static void backward(LlamaModel model, List<TokenizedExample> batch, float weight) {
        try (NDManager scope = model.manager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(SftLoss.meanNll(model, batch, scope).mul(weight));
        }
    }

    /** Zeroes the gradients in place without updating the weights. */
    private static void zeroGradients(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            if (p.hasGradient()) {
                NDArray grad = p.getGradient();
                grad.subi(grad);
                grad.close();
            }
        }
    }

    @Test
    void clippingBoundsTheGlobalNormAndAdamWDecaysMatricesOnly() throws Exception {
        try (LoadedModel loaded = stories()) {
            LlamaModel model = loaded.model();
            model.setTrainable(n -> true);
            backward(model, randomBatch(4, 16, 2), 1f);
            float before = Gradients.clipGlobalNorm(model.parameters().values(), 0.5f, model.manager());
            assertThat(before).isGreaterThan(0.5f);
            float after = Gradients.clipGlobalNorm(model.parameters().values(), 0f, model.manager()); // measure only
            assertThat(after).isCloseTo(0.5f, within(1e-3f));

            // With zero gradients, an AdamW step changes weights by decay alone: matrices shrink, norms stay.
            Map<String, NDArray> params = new LinkedHashMap<>(model.parameters());
            String norm = LlamaModel.layer(0, "input_layernorm.weight");
            String matrix = LlamaModel.layer(0, "self_attn.q_proj.weight");
            float[] normBefore = model.parameter(norm).toFloatArray();
            float[] matrixBefore = model.parameter(matrix).toFloatArray();
            try (AdamW adamw = new AdamW(params, new AdamW.Settings(0.9f, 0.95f, 1e-8f, 0.1f), model.manager())) {
                zeroGradients(params);
                adamw.step(0.01f);
            }
            assertThat(model.parameter(norm).toFloatArray()).containsExactly(normBefore);
            float[] matrixAfter = model.parameter(matrix).toFloatArray();
            for (int i = 0; i < 10; i++) {
                assertThat(matrixAfter[i]).isCloseTo(matrixBefore[i] * (1 - 0.01f * 0.1f), within(1e-7f));
            }
        }
    }

    @Test
    void scheduleWarmsUpLinearlyThenDecaysByCosine() {
        LearningRateSchedule s = new LearningRateSchedule(1f, 10, 110, 0.1f);
        assertThat(s.at(1)).isCloseTo(0.1f, within(1e-6f));
        assertThat(s.at(10)).isCloseTo(1f, within(1e-6f));
        assertThat(s.at(60)).isCloseTo(0.55f, within(1e-6f)); // halfway through the decay
        assertThat(s.at(110)).isCloseTo(0.1f, within(1e-6f));
    }

    @Test
    void earlyStoppingEndsARunWhoseEvalLossStopsImproving() throws Exception {
        List<SftExample> data = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            data.add(new SftExample("Q: name " + i + "?\nA:", " It is number " + i + "."));
        }
        // A learning rate far too high makes eval loss climb, so patience runs out quickly.
        SftConfig config = SftConfig.defaults().withLearningRate(0.5f).with(b -> b.batchSize(4).gradientAccumulation(1).epochs(1).maxSteps(30)
                .evalEvery(1).evalFraction(0.2f).earlyStoppingPatience(2).warmupRatio(0f).minLrRatio(1f).checkpointEvery(0));
        try (LoadedModel loaded = stories()) {
            SftTrainer.Result result = new SftTrainer(loaded, config, MetricsSink.none()).train(data, null, temp, false);
            assertThat(result.stoppedEarly()).isTrue();
            assertThat(result.steps()).isLessThan(30);
        }
    }
}
