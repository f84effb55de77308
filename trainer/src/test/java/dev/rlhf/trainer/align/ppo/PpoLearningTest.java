package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO learns: with stories260K as the SFT policy and a simulated labeler that prefers stories
 * mentioning a chosen word ({@code -Dppo.word}, default "park"), PPO raises the share of fresh
 * samples that mention it well above the SFT policy's, while the KL to the reference stays bounded.
 */
class PpoLearningTest {

    static final String WORD = System.getProperty("ppo.word", "park");

    @TempDir
    Path temp;

    /** 6 rollouts of 32 responses (8 prompts x 4 samples, 20 tokens), 2 epochs x 2 minibatches each. */
    static PpoRunConfig learningRun() {
        PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(32).numMiniBatches(2).ppoEpochs(2)
                .klCoef(0.1).maxNewTokens(20).whitenAdvantages(true).whitenRewards(false).missingEosPenalty(null).ptxCoef(0.0)
                .actorLearningRate(1e-3).criticLearningRate(3e-3).seed(7));
        return PpoRunConfig.of(ppo).with(b -> b.maxSteps(24).epochs(1).numSamples(4).temperature(1.0f).topK(0).topP(1.0f)).withCheckpointEvery(0);
    }

    @Test
    void raisesTheLabelersScoreOfFreshSamplesWithBoundedKl() throws Exception {
        RewardSource labeler = PpoFixtures.mentions(WORD);
        PpoRunConfig run = learningRun();

        LoadedModel actor = PpoFixtures.stories();
        LoadedModel reference = PpoFixtures.stories();
        LoadedModel critic = PpoFixtures.stories();
        critic.model().addValueHead(); // no reward model to start from: the SFT trunk with a zero head
        try (PpoModels models = new PpoModels(actor.model(), reference.model(), critic.model(), labeler, actor.tokenizer(),
                List.of(actor, reference, critic))) {
            double before = freshScore(models.actor(), models, labeler);
            List<Map<String, Double>> steps = new ArrayList<>();
            PpoTrainer.Result result = new PpoTrainer(models, run, MetricsSink.jsonl(temp.resolve("metrics.jsonl")))
                    .onStep((step, total, values) -> steps.add(values))
                    .train(PpoFixtures.PROMPTS, null, temp, false);
            System.err.printf("PPO speed: rollouts %.0f response tokens/s, %.3f s per optimizer step (actor + critic, "
                    + "minibatches of 16 responses)%n", result.rolloutTokensPerSecond(), result.secondsPerUpdate());
            double after = freshScore(models.actor(), models, labeler);
            double maxKl = steps.stream().mapToDouble(v -> v.get("objective/kl")).max().orElseThrow();
            System.err.printf("PPO '%s': fresh score before %.3f after %.3f; rollout scores %.3f -> %.3f; max rollout KL %.3f%n",
                    WORD, before, after, steps.getFirst().get("objective/scores"), steps.getLast().get("objective/scores"), maxKl);
            // measured ("park", seed 7): 0.094 -> 0.633 on fresh samples, largest rollout KL 11.5 nats per response
            // (20 tokens). Seeded, but MKL's float results may differ between processes, and so may the
            // sampled trajectory: the bounds leave room for that.
            assertThat(after).as("fresh score after PPO vs SFT %.3f", before).isGreaterThan(before + 0.25);
            assertThat(after).isGreaterThan(3 * before);
            assertThat(maxKl).as("KL to the reference, nats per response").isBetween(0.0, 20.0);
            assertThat(steps.getLast().get("objective/kl")).isPositive();
        }
    }

    /** Mean labeler score of 8 x 16 fresh samples (a seed no rollout used), 20 tokens each. */
    static double freshScore(LlamaModel policy, PpoModels models, RewardSource labeler) {
        List<GeneratedSample> samples = new Generator(new LlamaLanguageModel(policy), models.tokenizer())
                .generate(PpoFixtures.PROMPTS, GenerationConfig.defaults().withMaxNewTokens(20).withNumSamples(16).withSeed(12345L));
        double[] scores = labeler.score(samples.stream().map(GeneratedSample::prompt).toList(),
                samples.stream().map(GeneratedSample::completion).toList());
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        return sum / scores.length;
    }
}
