package dev.rlhf.trainer.align.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class MaskedTest {

    /**
     * values (1, 2, 3 | 4, 5, 6), mask (1, 1, 0 | 0, 1, 1):
     * row sums (3, 11), row means (1.5, 5.5); whole-batch mean (1 + 2 + 5 + 6) / 4 = 3.5;
     * unbiased variance: squared deviations 6.25, 2.25, 2.25, 6.25 -> 17 / 3 = 5.6666667 (biased 4.25);
     * last real index per row (1, 2); a row of zeros gives mean 0, not NaN.
     */
    @Test
    void reductionsCountOnlyMaskedPositions() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray values = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray mask = manager.create(new boolean[] {true, true, false, false, true, true}, new Shape(2, 3));
            assertThat(Masked.sum(values, mask, 1).toFloatArray()).containsExactly(3, 11);
            assertThat(Masked.mean(values, mask, 1).toFloatArray()).containsExactly(1.5f, 5.5f);
            assertThat(Masked.mean(values, mask).getFloat()).isEqualTo(3.5f);
            assertThat(Masked.variance(values, mask, true).getFloat()).isCloseTo(17f / 3, within(1e-6f));
            assertThat(Masked.variance(values, mask, false).getFloat()).isCloseTo(4.25f, within(1e-6f));
            assertThat(Masked.lastIndex(mask)).containsExactly(1, 2);
            NDArray none = manager.zeros(new Shape(1, 3));
            assertThat(Masked.mean(values.get("0:1"), none, 1).toFloatArray()).containsExactly(0f);
            assertThat(Masked.lastIndex(none)).containsExactly(-1);
            assertThatThrownBy(() -> Masked.variance(values, manager.create(new int[] {1, 0, 0, 0, 0, 0}, new Shape(2, 3)), true))
                    .hasMessageContaining("at least 2");
        }
    }
}
