package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training and reduced-precision paths of every supported family. bfloat16 compute runs only on a
 * GPU (DJL 0.35.1's CPU bf16 path aborted the JVM), so the casts around the float32-only operations
 * are exercised here with float16 on the CPU, which takes exactly the same code path.
 */
class PrecisionTest {

    static final int[] PROMPT = {1, 80, 147, 201, 282, 215, 447, 202, 1154, 1708};

    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-qwen2", "tiny-random-qwen3", "tiny-random-llama3", "tinystories-656k-hf"})
    void everyWeightGetsAGradient(String name) throws Exception {
        try (LoadedModel loaded = ModelLoader.load(HuggingFaceReferenceTest.fixture(name), null, Device.cpu())) {
            LlamaModel model = loaded.model();
            model.addValueHead();
            model.setTrainable(n -> true);
            try (NDManager step = model.manager().newSubManager();
                 GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray tokens = step.create(PROMPT).reshape(1, PROMPT.length);
                NDArray hidden = model.hiddenStates(tokens, null, null, null);
                NDArray logProbs = model.logits(hidden).logSoftmax(-1);
                NDArray loss = logProbs.get("0, :-1, :").mean().neg().add(model.valuesAt(hidden, new int[] {9}).sum());
                collector.backward(loss);
            }
            for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                NDArray grad = p.getValue().getGradient();
                assertThat(grad.abs().sum().getFloat()).as("gradient of " + p.getKey()).isGreaterThan(0f);
                assertThat(grad.isNaN().any().getBoolean()).as("NaN in gradient of " + p.getKey()).isFalse();
            }
        }
    }

    @Test
    void halfPrecisionComputeStaysCloseToFloat32AndKeepsFloat32Logits() throws Exception {
        try (LoadedModel loaded = ModelLoader.load(HuggingFaceReferenceTest.fixture("tiny-random-qwen3"), null, Device.cpu())) {
            LlamaModel model = loaded.model();
            int[] prompt = {151644, 872, 198, 9707, 11, 879, 525, 498, 30, 151645, 198};
            float[] full = HuggingFaceReferenceTest.lastLogits(model, prompt);
            model.computeIn(DataType.FLOAT16);
            try (NDManager step = model.manager().newSubManager()) {
                NDArray logits = model.forward(step.create(prompt).reshape(1, prompt.length));
                assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(logits.get("0, -1, :").toFloatArray()).containsExactly(full, within(2e-2f));
            }
            model.storeIn(DataType.FLOAT16); // a frozen model's narrowed weights
            assertThat(model.dataType()).isEqualTo(DataType.FLOAT16);
            assertThat(HuggingFaceReferenceTest.lastLogits(model, prompt)).containsExactly(full, within(2e-2f));
        }
    }

    @Test
    void float32MasterWeightsGetFloat32GradientsThroughHalfPrecisionCompute() throws Exception {
        try (LoadedModel loaded = ModelLoader.load(HuggingFaceReferenceTest.fixture("tiny-random-qwen2"), null, Device.cpu())) {
            LlamaModel model = loaded.model();
            model.setTrainable(n -> true);
            model.computeIn(DataType.FLOAT16);
            try (NDManager step = model.manager().newSubManager();
                 GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = model.forward(step.create(PROMPT).reshape(1, PROMPT.length));
                collector.backward(logits.logSoftmax(-1).get("0, :-1, :").mean().neg());
            }
            for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
                assertThat(p.getValue().getDataType()).as(p.getKey()).isEqualTo(DataType.FLOAT32);
                NDArray grad = p.getValue().getGradient();
                assertThat(grad.getDataType()).as("gradient of " + p.getKey()).isEqualTo(DataType.FLOAT32);
                assertThat(grad.abs().sum().getFloat()).as("gradient of " + p.getKey()).isGreaterThan(0f);
            }
        }
    }
}
