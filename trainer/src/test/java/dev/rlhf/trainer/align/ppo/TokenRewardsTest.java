package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class TokenRewardsTest {

    /**
     * kl_coef 0.1, reward clip 10, missing-EOS penalty 1.
     * row 0: kl (0.1, 0.2, 0.3 | pad 9), ends with EOS, score 2:
     *        rewards (-0.01, -0.02, -0.03 + 2 = 1.97, 0); KL sum 0.6
     * row 1: kl (0.5, -0.1 | pad 7, 7), no EOS, score 15 -> clipped 10 -> minus penalty 9:
     *        rewards (-0.05, 0.01 + 9 = 9.01, 0, 0); KL sum 0.4
     * objective/kl = (0.6 + 0.4) / 2 = 0.5; objective/scores = (2 + 9) / 2 = 5.5;
     * objective/non_score_reward = (-0.06 - 0.04) / 2 = -0.05; objective/rlhf_reward = (1.94 + 8.96) / 2 = 5.45
     */
    @Test
    void klPenaltyPerTokenAndClippedScoreAtTheLastToken() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray kl = manager.create(new float[] {0.1f, 0.2f, 0.3f, 9, 0.5f, -0.1f, 7, 7}, new Shape(2, 4));
            NDArray mask = manager.create(new int[] {1, 1, 1, 0, 1, 1, 0, 0}, new Shape(2, 4));
            NDArray scores = manager.create(new float[] {2, 15});
            TokenRewards.Result r = TokenRewards.compute(kl, mask, scores, new boolean[] {true, false}, 0.1, 10.0, 1.0);
            assertThat(r.rewards().toFloatArray()).containsExactly(
                    new float[] {-0.01f, -0.02f, 1.97f, 0, -0.05f, 9.01f, 0, 0}, within(1e-6f));
            assertThat(r.scores().toFloatArray()).containsExactly(2, 9);
            assertThat(r.klSum().toFloatArray()).containsExactly(new float[] {0.6f, 0.4f}, within(1e-6f));
            assertThat(r.metrics().get("objective/kl")).isCloseTo(0.5, within(1e-6));
            assertThat(r.metrics().get("objective/scores")).isCloseTo(5.5, within(1e-6));
            assertThat(r.metrics().get("objective/non_score_reward")).isCloseTo(-0.05, within(1e-6));
            assertThat(r.metrics().get("objective/rlhf_reward")).isCloseTo(5.45, within(1e-6));
            assertThat(r.metrics().get("kl_coef")).isEqualTo(0.1);
        }
    }

    /** Without clipping or penalty, row 1 keeps its raw score 15 at its last token (index 1). */
    @Test
    void clippingAndPenaltyAreOptional() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray kl = manager.zeros(new Shape(2, 3));
            NDArray mask = manager.create(new int[] {1, 1, 1, 1, 1, 0}, new Shape(2, 3));
            NDArray scores = manager.create(new float[] {-3, 15});
            TokenRewards.Result r = TokenRewards.compute(kl, mask, scores, new boolean[] {false, false}, 0.1, null, null);
            assertThat(r.rewards().toFloatArray()).containsExactly(new float[] {0, 0, -3, 0, 15, 0}, within(0f));
            NDArray empty = manager.create(new int[] {1, 1, 1, 0, 0, 0}, new Shape(2, 3));
            assertThatThrownBy(() -> TokenRewards.compute(kl, empty, scores, null, 0.1, null, null))
                    .hasMessageContaining("response 1 has no tokens");
        }
    }
}
