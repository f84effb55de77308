package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.align.loss.LossOutput;
import org.junit.jupiter.api.Test;

/** RLOO's and GRPO's advantages and Dr. GRPO's loss normaliser on hand-computed numbers. */
class CriticFreeAdvantagesTest {

    /**
     * K = 4, two prompts. Group 1: r = (1, 2, 3, 6), sum 12; baseline_i = (12 - r_i) / 3:
     * A = (1 - 11/3, 2 - 10/3, 3 - 9/3, 6 - 6/3) = (-8/3, -4/3, 0, 4)
     * (= 4/3 * (r - mean 3) = 4/3 * (-2, -1, 0, 3), the identity K/(K-1) (r_i - mean)).
     * Group 2: r = (0, 0, 1, 0), sum 1: A = (-1/3, -1/3, 1 - 0, -1/3).
     */
    @Test
    void rlooSubtractsTheMeanOfTheOtherSamplesOfThePrompt() {
        double[] a = RlooAdvantages.compute(new double[] {1, 2, 3, 6, 0, 0, 1, 0}, 4);
        assertThat(a).containsExactly(new double[] {-8 / 3.0, -4 / 3.0, 0, 4, -1 / 3.0, -1 / 3.0, 1, -1 / 3.0}, within(1e-12));
    }

    /**
     * K = 4. Group 1: r = (1, 2, 3, 6), mean 3, deviations (-2, -1, 0, 3), squares sum 14,
     * sample std sqrt(14 / 3) = 2.1602469; A = dev / (2.1602469 + 1e-4) = (-0.9257772, -0.4628886, 0, 1.3886659).
     * Group 2: all 0.5, std 0: A = 0 / (0 + 1e-4) = 0 (no NaN).
     */
    @Test
    void grpoNormalisesByTheGroupsStdAndGivesAZeroVarianceGroupZero() {
        double[] a = GrpoAdvantages.compute(new double[] {1, 2, 3, 6, 0.5, 0.5, 0.5, 0.5}, 4, true);
        assertThat(a).containsExactly(new double[] {-0.9257772, -0.4628886, 0, 1.3886659, 0, 0, 0, 0}, within(1e-6));
    }

    /** Dr. GRPO (no std division): the same groups give the deviations (-2, -1, 0, 3) and (0, 0, 0, 0). */
    @Test
    void drGrpoOnlyCentres() {
        double[] a = GrpoAdvantages.compute(new double[] {1, 2, 3, 6, 0.5, 0.5, 0.5, 0.5}, 4, false);
        assertThat(a).containsExactly(new double[] {-2, -1, 0, 3, 0, 0, 0, 0}, within(1e-12));
    }

    @Test
    void groupBaselinesNeedTwoSamplesAndWholeGroups() {
        assertThatThrownBy(() -> RlooAdvantages.compute(new double[] {1, 2}, 1)).hasMessageContaining("K >= 2");
        assertThatThrownBy(() -> GrpoAdvantages.compute(new double[] {1, 2, 3}, 2, true)).hasMessageContaining("whole groups");
    }

    @Test
    void eachSequencesAdvantageGoesToEveryOneOfItsTokens() {
        float[] mask = {0, 1, 1, 0, 1, 0};
        assertThat(RolloutMaker.perTokenAdvantages(new double[] {2, -1}, mask, 3))
                .containsExactly(0, 2, 2, 0, -1, 0);
    }

    /**
     * Ratio 1 (logp = old logp), so each token's loss is -A. Rows: A = (1, 1 | pad) and (4 | pad, pad),
     * mask (1, 1, 0) and (1, 0, 0): losses -1, -1, -4, sum -6.
     * Token mean: -6 / 3 tokens = -2. Dr. GRPO with max-new-tokens 4: -6 / (2 rows * 4) = -0.75.
     */
    @Test
    void drGrpoDividesByRowsTimesMaxNewTokens() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 3);
            NDArray logp = manager.full(shape, -1f);
            NDArray advantages = manager.create(new float[] {1, 1, 0, 4, 0, 0}, shape);
            NDArray mask = manager.create(new float[] {1, 1, 0, 1, 0, 0}, shape);
            LossOutput tokens = PolicyLoss.compute(logp, logp, advantages, mask, 0.2, PolicyLossNormalizer.TOKENS, 4);
            LossOutput dr = PolicyLoss.compute(logp, logp, advantages, mask, 0.2, PolicyLossNormalizer.DR_GRPO, 4);
            assertThat(tokens.loss().getFloat()).isCloseTo(-2f, within(1e-6f));
            assertThat(dr.loss().getFloat()).isCloseTo(-0.75f, within(1e-6f));
            assertThat(dr.metric(PolicyLoss.LOSS)).isCloseTo(-0.75, within(1e-6));
        }
    }

    @Test
    void criticFreeAdvantagesNeedTwoSamplesPerPrompt() {
        PpoConfig rloo = PpoConfig.defaults().withAdvantage(Advantage.RLOO);
        assertThatThrownBy(() -> PpoRunConfig.defaults().withPpo(rloo)).hasMessageContaining("num-samples >= 2"); // default K = 1
        assertThat(PpoRunConfig.defaults().withNumSamples(4).withPpo(rloo).ppo().advantage()).isEqualTo(Advantage.RLOO);
        assertThat(PpoRunConfig.defaults().ppo().advantage()).isEqualTo(Advantage.GAE);
    }
}
