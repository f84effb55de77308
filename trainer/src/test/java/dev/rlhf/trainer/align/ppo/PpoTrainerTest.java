package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PPO trainer on stories260K with a real (untrained, random-head) reward model: the first
 * step's invariants, PPO-ptx with gamma 0 equal to plain PPO bit for bit, exact resume, and no
 * native-memory growth over steps.
 */
class PpoTrainerTest {

    static final List<String> CONTRACT_METRICS = List.of("objective/kl", "objective/entropy", "objective/scores",
            "objective/rlhf_reward", "policy/approxkl", "policy/clipfrac", "loss/policy", "loss/value", "val/clipfrac",
            "kl_coef");

    static final List<SftExample> PTX = List.of(
            new SftExample("", "Once upon a time, there was a little dog. The dog liked to run."),
            new SftExample("Lily saw a cat.", " The cat was soft and she gave it some milk."),
            new SftExample("", "Tom had a red ball. He threw it high in the sky and laughed."));

    @TempDir
    Path temp;

    /** A small run: 8 responses per rollout (4 prompts x 2 samples), 2 minibatches x 2 epochs = 4 steps per rollout. */
    static PpoRunConfig small(int maxSteps, double ptxCoef, Double klTarget) {
        PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(8).numMiniBatches(2).ppoEpochs(2)
                .klCoef(0.05).klTarget(klTarget).klHorizon(1000).ptxCoef(ptxCoef).maxNewTokens(16)
                .whitenAdvantages(true).whitenRewards(false).rewardClip(10.0).missingEosPenalty(1.0)
                .actorLearningRate(1e-3).criticLearningRate(1e-3).seed(5));
        return PpoRunConfig.of(ppo).with(b -> b.maxSteps(maxSteps).epochs(1).numSamples(2).temperature(1.0f).topK(0).topP(1.0f)).withCheckpointEvery(1);
    }

    record Run(List<Map<String, Double>> steps, Map<String, float[]> actor, Map<String, float[]> critic, List<Integer> arrays) {}

    Run train(PpoRunConfig run, List<SftExample> ptx, Path out, boolean resume) throws Exception {
        try (PpoModels models = PpoFixtures.fourModels(3)) {
            List<Map<String, Double>> steps = new ArrayList<>();
            List<Integer> arrays = new ArrayList<>();
            new PpoTrainer(models, run, MetricsSink.jsonl(out.resolve("metrics.jsonl"))).onStep((step, total, values) -> {
                steps.add(values);
                arrays.add(models.actor().manager().getManagedArrays().size()
                        + models.critic().manager().getManagedArrays().size()
                        + models.reference().manager().getManagedArrays().size());
            }).train(PpoFixtures.PROMPTS.subList(0, 6), ptx, out, resume);
            return new Run(steps, weights(models.actor().parameters()), weights(models.critic().parameters()), arrays);
        }
    }

    static Map<String, float[]> weights(Map<String, ai.djl.ndarray.NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, p.toFloatArray()));
        return out;
    }

    @Test
    void firstStepHasZeroKlUnitRatioNoClippingAndContractMetrics() throws Exception {
        Run run = train(small(8, 0.0, null), PTX, temp, false);
        Map<String, Double> first = run.steps().getFirst();
        assertThat(first).containsKeys(CONTRACT_METRICS.toArray(String[]::new)).containsKey("loss/ptx");
        assertThat(first.get("objective/kl")).isZero();
        assertThat(first.get("policy/approxkl")).isZero(); // ratio exactly 1 on every token
        assertThat(first.get("policy/clipfrac")).isZero();
        assertThat(first.get("val/clipfrac")).isZero();
        assertThat(first.get("kl_coef")).isEqualTo(0.05);
        // whitened advantages and ratio 1: the surrogate is -mean(A) over the first minibatch's tokens
        assertThat(Math.abs(first.get("loss/policy"))).isLessThan(1.0);
        assertThat(first.get("objective/rlhf_reward")).isEqualTo(first.get("objective/scores"), within(1e-9));
        // the second rollout (step 5) sees a policy that moved away from the reference
        assertThat(run.steps().get(4).get("objective/kl")).isNotZero();
        assertThat(run.steps().get(1).get("policy/approxkl")).isPositive();
        // metrics JSONL: one line per optimizer step, phase ppo
        List<String> lines = Files.readAllLines(temp.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(8);
        assertThat(lines.getFirst()).startsWith("{\"phase\":\"ppo\",\"step\":1,");
        // each step scopes its arrays: the models' managers hold as many arrays after step 8 as after step 2
        assertThat(run.arrays().subList(1, run.arrays().size())).containsOnly(run.arrays().get(1));
        assertThat(temp.resolve("model/rlhf-model.json")).exists();
        assertThat(temp.resolve("critic/rlhf-model.json")).exists();
    }

    @Test
    void ptxCoefficientZeroGivesExactlyPlainPpo() throws Exception {
        Run plain = train(small(5, 0.0, null), null, temp.resolve("plain"), false);
        Run ptxZero = train(small(5, 0.0, null), PTX, temp.resolve("ptx0"), false);
        for (String name : plain.actor().keySet()) {
            assertThat(ptxZero.actor().get(name)).as(name).containsExactly(plain.actor().get(name));
        }
        for (int i = 0; i < plain.steps().size(); i++) {
            Map<String, Double> withoutPtx = new LinkedHashMap<>(ptxZero.steps().get(i));
            assertThat(withoutPtx.remove("loss/ptx")).isNotNull();
            assertThat(withoutPtx).isEqualTo(plain.steps().get(i));
        }
        Run ptx = train(small(5, 27.8, null), PTX, temp.resolve("ptx"), false);
        assertThat(ptx.actor().get("model.norm.weight")).isNotEqualTo(plain.actor().get("model.norm.weight"));
        assertThat(ptx.steps().getFirst().get("loss/ptx")).isEqualTo(ptxZero.steps().getFirst().get("loss/ptx"));
    }

    /**
     * Two identical runs of three rollouts in one JVM (ptx and the adaptive controller on) give the
     * same metrics at every step and the same actor and critic weights, to the bit. Before autograd's
     * saved scalars were kept in PyTorch-owned memory, a garbage collection between a forward and its
     * backward pass made such runs differ from about step 6 on ({@code dev.rlhf.trainer.model.ScalarsTest}
     * provokes that collection deterministically).
     */
    @Test
    void identicalRunsAgreeBitForBit() throws Exception {
        Run first = train(small(12, 1.0, 2.0), PTX, temp.resolve("first"), false);
        Run second = train(small(12, 1.0, 2.0), PTX, temp.resolve("second"), false);
        assertSameRun(second, first, 1);
    }

    /** Every metric of every step and every actor and critic weight equal, bit for bit. */
    static void assertSameRun(Run actual, Run expected, int firstStep) {
        assertThat(actual.steps()).hasSameSizeAs(expected.steps());
        for (int i = 0; i < expected.steps().size(); i++) {
            assertThat(actual.steps().get(i)).as("metrics of step %d", firstStep + i).isEqualTo(expected.steps().get(i));
        }
        for (String name : expected.actor().keySet()) {
            assertThat(actual.actor().get(name)).as("actor " + name).containsExactly(expected.actor().get(name));
        }
        for (String name : expected.critic().keySet()) {
            assertThat(actual.critic().get(name)).as("critic " + name).containsExactly(expected.critic().get(name));
        }
    }

    /**
     * Stopped in the middle of the second rollout (step 6 of 4-step rollouts, adaptive KL, ptx on)
     * and resumed: the same metrics for steps 7-10 and the same weights as an uninterrupted run.
     */
    @Test
    void resumeContinuesExactlyAsAnUninterruptedRun() throws Exception {
        Run whole = train(small(10, 1.0, 2.0), PTX, temp.resolve("whole"), false);
        Path out = temp.resolve("parts");
        Run firstPart = train(small(6, 1.0, 2.0), PTX, out, false);
        assertThat(firstPart.steps()).isEqualTo(whole.steps().subList(0, 6));
        Run rest = train(small(10, 1.0, 2.0), PTX, out, true);
        assertThat(whole.steps().get(8).get("kl_coef")).isNotEqualTo(0.05); // the adaptive controller moved
        assertSameRun(rest, new Run(whole.steps().subList(6, 10), whole.actor(), whole.critic(), whole.arrays()), 7);
        assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(10);
    }
}
