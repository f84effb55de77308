package dev.rlhf.trainer.align.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import org.junit.jupiter.api.Test;

class RewardNormalizationTest {

    /** Reference rewards (1, 2, 6): mean 3, so offset -3 and normalised rewards (-2, -1, 3) with mean 0. */
    @Test
    void shiftsTheReferenceMeanToZero() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray reference = manager.create(new float[] {1, 2, 6});
            RewardNormalization norm = RewardNormalization.fit(reference);
            assertThat(norm.offset()).isCloseTo(-3.0, within(1e-9));
            assertThat(norm.apply(reference).toFloatArray()).containsExactly(-2, -1, 3);
            assertThat(norm.apply(10.0)).isEqualTo(7.0);
        }
        assertThatThrownBy(() -> RewardNormalization.fit(new double[0])).hasMessageContaining("empty");
    }

    /** Folding offset -3 into a value head with bias 0.5 (zero weights) makes every reward 0.5 - 3 = -2.5. */
    @Test
    void foldsIntoTheValueHeadBias() {
        LlamaModel model = LlamaModel.initialise(LlamaConfig.of(32, 64, 2, 4, 2, 64, 32, false), Device.cpu(), 1);
        try (model; NDManager step = model.manager().newSubManager()) {
            model.addValueHead();
            model.parameter(LlamaModel.VALUE_HEAD_BIAS).set(new float[] {0.5f});
            new RewardNormalization(-3).foldInto(model);
            NDArray hidden = model.hiddenStates(step.create(new int[] {1, 5, 6, 7}).reshape(1, 4), null, null, null);
            assertThat(model.valuesAt(hidden, new int[] {3}).getFloat()).isEqualTo(-2.5f);
        }
    }
}
