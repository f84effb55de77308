package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO at a sampling temperature other than 1 stays on-policy: the rollout's (old), the update's
 * (new) and the reference's log-probabilities are all taken with the logits divided by the
 * temperature (as TRL and OpenRLHF do), so step 1 has ratio 1 and KL 0, and the old
 * log-probabilities are those of the distribution the tokens were sampled from.
 */
class PpoTemperatureTest {

    static final float TEMPERATURE = 0.7f;

    @TempDir
    Path temp;

    static PpoRunConfig run() {
        return PpoTrainerTest.small(4, 0.0, null).with(b -> b.numSamples(2).temperature(TEMPERATURE).topK(0).topP(1.0f));
    }

    @Test
    void stepOneAtTemperature07HasUnitRatioAndZeroKl() throws Exception {
        List<Map<String, Double>> steps = new ArrayList<>();
        try (PpoModels models = PpoFixtures.fourModels(3)) {
            new PpoTrainer(models, run(), MetricsSink.none()).onStep((step, total, values) -> steps.add(values))
                    .train(PpoFixtures.PROMPTS.subList(0, 6), null, temp, false);
        }
        Map<String, Double> first = steps.getFirst();
        assertThat(first.get("objective/kl")).as("KL to the reference at step 1").isZero();
        assertThat(first.get("policy/approxkl")).as("ratio exactly 1").isZero();
        assertThat(first.get("policy/clipfrac")).isZero();
        assertThat(first.get("val/clipfrac")).isZero();
        assertThat(steps.get(1).get("policy/approxkl")).as("the policy moved after step 1").isPositive();
    }

    @Test
    void theRolloutsLogProbabilitiesAreThoseOfTheTemperatureScaledDistribution() throws Exception {
        try (PpoModels models = PpoFixtures.fourModels(3)) {
            PpoRunConfig run = run();
            Rollout r = new RolloutMaker(models, run)
                    .collect(PpoFixtures.PROMPTS.subList(0, 4), 0, KlController.of(run.ppo()));
            int time = r.width() - 1;
            float[] logits;
            int vocab = models.actor().config().vocabSize();
            try (NDManager step = models.actor().manager().newSubManager()) {
                Shape shape = new Shape(r.rows(), r.width());
                NDArray tokens = step.create(r.tokens(), shape).toType(DataType.INT64, false);
                logits = models.actor().logits(models.actor().hiddenStates(tokens, step.create(r.keyMask(), shape), null, null))
                        .toType(DataType.FLOAT32, false).toFloatArray();
            }
            int checked = 0;
            double largestShift = 0;
            for (int row = 0; row < r.rows(); row++) {
                for (int t = 0; t < time; t++) {
                    if (r.mask()[row * time + t] == 0) {
                        continue;
                    }
                    int target = (int) r.tokens()[row * r.width() + t + 1];
                    int base = (row * r.width() + t) * vocab;
                    double atT = logSoftmax(logits, base, vocab, target, TEMPERATURE);
                    double atOne = logSoftmax(logits, base, vocab, target, 1.0);
                    assertThat(Math.abs(r.oldLogp()[row * time + t] - atT)).as("row %d position %d", row, t).isLessThan(1e-4);
                    largestShift = Math.max(largestShift, Math.abs(atT - atOne));
                    checked++;
                }
            }
            assertThat(checked).isGreaterThan(20);
            assertThat(largestShift).as("temperature 0.7 and 1 differ on these tokens").isGreaterThan(0.05);
        }
    }

    /** log softmax(z / temperature)[target] of the vocabulary row at {@code base}, in double precision. */
    static double logSoftmax(float[] logits, int base, int vocab, int target, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[base + v] / temperature);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[base + v] / temperature - max);
        }
        return logits[base + target] / temperature - max - Math.log(sum);
    }
}
