package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.Llama2cCheckpoint;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Forward-pass properties of the decoder on stories260K: padding, cache, value head, autograd, memory. */
class LlamaModelTest {

    static final int[] DOG = {1, 403, 407, 261, 378, 432, 261, 400, 428};
    static LlamaModel model;

    @BeforeAll
    static void load() throws Exception {
        model = Llama2cCheckpoint.load(SharedData.stories260kModel(), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void leftPaddedBatchGivesTheSameLogitsAsEachSequenceAlone() {
        int[] shortPrompt = {1, 403, 407};
        try (NDManager step = model.manager().newSubManager()) {
            float[] alone = model.forward(step.create(shortPrompt).reshape(1, 3)).get("0, -1, :").toFloatArray();
            int pad = DOG.length - shortPrompt.length;
            int[] padded = new int[DOG.length];
            int[] mask = new int[DOG.length];
            System.arraycopy(shortPrompt, 0, padded, pad, shortPrompt.length);
            Arrays.fill(mask, pad, DOG.length, 1);
            int[] maskFull = new int[DOG.length];
            Arrays.fill(maskFull, 1);
            NDArray tokens = step.create(concat(padded, DOG)).reshape(2, DOG.length);
            NDArray keyMask = step.create(concat(mask, maskFull)).reshape(2, DOG.length);
            NDArray logits = model.logits(model.hiddenStates(tokens, keyMask, null, null));
            assertThat(logits.get("0, -1, :").toFloatArray()).containsExactly(alone, within(1e-4f));
            float[] dogAlone = model.forward(step.create(DOG).reshape(1, DOG.length)).get("0, -1, :").toFloatArray();
            assertThat(logits.get("1, -1, :").toFloatArray()).containsExactly(dogAlone, within(1e-4f));
        }
    }

    @Test
    void kvCacheStepsGiveTheSameLogitsAsOneFullPass() {
        try (NDManager step = model.manager().newSubManager(); KvCache cache = new KvCache(model, 1, 16)) {
            float[] full = model.forward(step.create(DOG).reshape(1, DOG.length)).toFloatArray();
            // Prefill 4 tokens, then feed the rest one at a time.
            NDArray first = model.logits(model.hiddenStates(step.create(Arrays.copyOf(DOG, 4)).reshape(1, 4), null, null, cache));
            assertThat(first.toFloatArray()).containsExactly(Arrays.copyOf(full, 4 * 512), within(1e-4f));
            for (int t = 4; t < DOG.length; t++) {
                NDArray next = model.logits(model.hiddenStates(step.create(new int[] {DOG[t]}).reshape(1, 1), null, null, cache));
                assertThat(next.toFloatArray()).containsExactly(Arrays.copyOfRange(full, t * 512, (t + 1) * 512), within(1e-4f));
            }
            assertThat(cache.length()).isEqualTo(DOG.length);
        }
    }

    @Test
    void valueHeadReadsOneScalarPerRowAtTheGivenPosition() {
        LlamaModel withHead = LlamaModel.initialise(LlamaConfig.of(32, 64, 2, 4, 2, 64, 32, false), Device.cpu(), 1);
        try (withHead; NDManager step = withHead.manager().newSubManager()) {
            withHead.addValueHead();
            withHead.parameter(LlamaModel.VALUE_HEAD_BIAS).set(new float[] {0.5f});
            NDArray hidden = withHead.hiddenStates(step.create(new int[] {1, 5, 6, 7, 1, 9, 0, 0}).reshape(2, 4), null, null, null);
            NDArray values = withHead.valuesAt(hidden, new int[] {3, 1});
            assertThat(values.getShape()).isEqualTo(new Shape(2));
            assertThat(values.toFloatArray()).containsExactly(0.5f, 0.5f); // zero-initialised weights
            assertThat(withHead.values(hidden).getShape()).isEqualTo(new Shape(2, 4));
        }
    }

    @Test
    void gradientsFlowToTrainableWeightsOnly() {
        LlamaModel small = LlamaModel.initialise(LlamaConfig.of(32, 64, 2, 4, 2, 64, 32, true), Device.cpu(), 2);
        try (small; NDManager step = small.manager().newSubManager()) {
            String frozen = LlamaModel.layer(0, "mlp.up_proj.weight");
            small.setTrainable(name -> !name.equals(frozen));
            NDArray tokens = step.create(new int[] {1, 5, 6, 7, 8, 9}).reshape(1, 6);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = small.forward(tokens);
                NDArray loss = logits.logSoftmax(-1).get(":, :, 3").mean().neg();
                collector.backward(loss);
            }
            NDArray grad = small.parameter(LlamaModel.layer(1, "self_attn.q_proj.weight")).getGradient();
            assertThat(grad.abs().sum().getFloat()).isGreaterThan(0f);
            assertThat(small.parameter(LlamaModel.EMBEDDING).getGradient().abs().sum().getFloat()).isGreaterThan(0f);
            assertThat(small.parameter(frozen).hasGradient()).isFalse();
        }
    }

    @Test
    void scopedStepsLeaveNoArraysBehind() {
        int weights = model.manager().getManagedArrays().size();
        for (int i = 0; i < 200; i++) {
            try (NDManager step = model.manager().newSubManager()) {
                model.forward(step.create(DOG).reshape(1, DOG.length)).get("0, -1, :").toFloatArray();
            }
        }
        assertThat(model.manager().getManagedArrays()).hasSize(weights);
    }

    static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
