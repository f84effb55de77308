package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PPO trainer with the critic-free advantages (RLOO, GRPO) on stories260K with a real
 * (random-head) reward model: no critic held or written, no value metrics, the first step's
 * invariants, and exact resume as {@link PpoTrainerTest} checks it for GAE.
 */
class CriticFreeTrainerTest {

    static final List<String> METRICS = List.of("objective/kl", "objective/scores", "objective/rlhf_reward",
            "policy/approxkl", "policy/clipfrac", "loss/policy", "kl_coef");

    @TempDir
    Path temp;

    /** {@link PpoTrainerTest#small}'s run (4 prompts x 2 samples, 4 steps per rollout) with {@code advantage}. */
    static PpoRunConfig small(Advantage advantage, int maxSteps, Double klTarget) {
        PpoRunConfig gae = PpoTrainerTest.small(maxSteps, 0.0, klTarget);
        return gae.withPpo(gae.ppo().withAdvantage(advantage));
    }

    record Run(List<Map<String, Double>> steps, Map<String, float[]> actor) {}

    Run train(PpoRunConfig run, Path out, boolean resume) throws Exception {
        try (PpoModels models = PpoFixtures.threeModels(3)) {
            List<Map<String, Double>> steps = new ArrayList<>();
            new PpoTrainer(models, run, MetricsSink.jsonl(out.resolve("metrics.jsonl")))
                    .onStep((step, total, values) -> steps.add(values))
                    .train(PpoFixtures.PROMPTS.subList(0, 6), null, out, resume);
            return new Run(steps, PpoTrainerTest.weights(models.actor().parameters()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Advantage.class, names = {"RLOO", "GRPO"})
    void firstStepHasUnitRatioAndNoValueMetricsOrCritic(Advantage advantage) throws Exception {
        Run run = train(small(advantage, 4, null), temp, false);
        Map<String, Double> first = run.steps().getFirst();
        assertThat(first).containsKeys(METRICS.toArray(String[]::new));
        assertThat(first.keySet()).noneMatch(k -> k.startsWith("val/") || k.equals("loss/value"));
        assertThat(first.get("objective/kl")).isZero();
        assertThat(first.get("policy/approxkl")).isZero();
        assertThat(first.get("policy/clipfrac")).isZero();
        assertThat(run.steps().get(1).get("policy/approxkl")).isPositive(); // the actor moved
        assertThat(temp.resolve("model/rlhf-model.json")).exists();
        assertThat(temp.resolve("critic")).doesNotExist();
        assertThat(temp.resolve("resume/critic")).doesNotExist();
    }

    /**
     * Stopped in the middle of the second rollout (step 6, adaptive KL) and resumed: the same metrics
     * for steps 7-10 and the same actor weights, bit for bit, as an uninterrupted run.
     */
    @ParameterizedTest
    @EnumSource(value = Advantage.class, names = {"RLOO", "GRPO"})
    void resumeContinuesExactlyAsAnUninterruptedRun(Advantage advantage) throws Exception {
        Run whole = train(small(advantage, 10, 2.0), temp.resolve("whole"), false);
        Path out = temp.resolve("parts");
        Run firstPart = train(small(advantage, 6, 2.0), out, false);
        assertThat(firstPart.steps()).isEqualTo(whole.steps().subList(0, 6));
        Run rest = train(small(advantage, 10, 2.0), out, true);
        assertThat(rest.steps()).isEqualTo(whole.steps().subList(6, 10));
        for (String name : whole.actor().keySet()) {
            assertThat(rest.actor().get(name)).as(name).containsExactly(whole.actor().get(name));
        }
        assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(10);
    }

    @Test
    void theAdvantageAndTheModelsMustAgree() throws Exception {
        try (PpoModels three = PpoFixtures.threeModels(3)) {
            assertThatThrownBy(() -> new PpoTrainer(three, PpoTrainerTest.small(4, 0.0, null), MetricsSink.none()))
                    .hasMessageContaining("needs a critic");
        }
        try (PpoModels four = PpoFixtures.fourModels(3)) {
            assertThatThrownBy(() -> new PpoTrainer(four, small(Advantage.GRPO, 4, null), MetricsSink.none()))
                    .hasMessageContaining("needs no critic");
        }
    }
}
