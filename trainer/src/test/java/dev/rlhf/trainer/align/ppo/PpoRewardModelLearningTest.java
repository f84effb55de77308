package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.PaddedBatch;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.labeler.KeywordLabeler;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production path end to end, with a learned reward model: stories260K samples K = 4 responses
 * per training prompt; the keyword labeler ({@link KeywordLabeler}, prefers stories mentioning
 * {@code -Dppo.word}, default "park") ranks each group, reversing 10% of its rankings; the reward
 * model is trained on those rankings by {@link RewardTrainer} with the small-model values
 * ({@link RewardModelConfig#smallModels()}: normalisation, value-head init and checkpoint metadata
 * included) and evaluated on the labeler's true rankings of samples of held-out prompts; PPO loads it
 * through {@link PpoModels#load} (so {@link ValueHeadRewardSource} scores the policy's tokens at the
 * stored {@code reward_max_length} through {@code RewardScorer}); the labeler's score of fresh samples
 * of the held-out prompts rises above the SFT policy's, and the KL to the SFT policy is reported.
 */
class PpoRewardModelLearningTest {

    static final int K = 4;

    /** Prompts neither the reward model nor PPO trains on. */
    static final List<String> HELD_OUT_PROMPTS = List.of(
            "Ben and his dad",
            "The little dog ran to the",
            "Mia wanted to",
            "It was a sunny day and",
            "Once there was a small",
            "Anna found a",
            "The boy looked at the",
            "Max and Lucy");

    @TempDir
    Path temp;

    @Test
    void rewardTrainerThenPpoRaisesTheLabelersScoreOnHeldOutPrompts() throws Exception {
        KeywordLabeler labeler = new KeywordLabeler(PpoLearningTest.WORD, 0.1, 11);
        List<RankedResponses> train = new ArrayList<>();
        List<RankedResponses> heldOut = new ArrayList<>();
        try (LoadedModel sft = PpoFixtures.stories()) {
            Generator generator = new Generator(new LlamaLanguageModel(sft.model()), sft.tokenizer());
            for (List<GeneratedSample> group : groups(generator.generate(PpoFixtures.PROMPTS,
                    GenerationConfig.defaults().withMaxNewTokens(20).withNumSamples(128).withSeed(99L)))) {
                List<String> responses = group.stream().map(GeneratedSample::completion).toList();
                String prompt = group.getFirst().prompt();
                train.add(new RankedResponses(prompt, responses, labeler.rank(prompt, responses))); // noisy, as reported
            }
            for (List<GeneratedSample> group : groups(generator.generate(HELD_OUT_PROMPTS,
                    GenerationConfig.defaults().withMaxNewTokens(20).withNumSamples(32).withSeed(98L)))) {
                List<String> responses = group.stream().map(GeneratedSample::completion).toList();
                String prompt = group.getFirst().prompt();
                heldOut.add(new RankedResponses(prompt, responses, labeler.trueRanking(prompt, responses)));
            }
        }

        RewardModelConfig config = RewardModelConfig.smallModels().withSeed(5);
        RewardTrainer.Result rm;
        try (LoadedModel trunk = PpoFixtures.stories()) {
            rm = new RewardTrainer(trunk, config, MetricsSink.none()).train(train, heldOut, temp.resolve("rm"));
        }
        assertThat(ModelCheckpoint.readMetadata(rm.model())).containsEntry(RewardTrainer.MAX_LENGTH_METADATA, "128");

        try (PpoModels models = PpoModels.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), rm.model(),
                Device.cpu(), false, 16)) {
            assertThat(((ValueHeadRewardSource) models.reward()).maxLength()).isEqualTo(128);
            List<GeneratedSample> before = fresh(models.actor(), models);
            List<Map<String, Double>> steps = new ArrayList<>();
            new PpoTrainer(models, PpoLearningTest.learningRun(), MetricsSink.none())
                    .onStep((step, total, values) -> steps.add(values))
                    .train(PpoFixtures.PROMPTS, null, temp.resolve("ppo"), false);
            List<GeneratedSample> after = fresh(models.actor(), models);
            double scoreBefore = mentionRate(before, labeler);
            double scoreAfter = mentionRate(after, labeler);
            double kl = sampledKl(after, models.reference(), models);
            double maxRolloutKl = steps.stream().mapToDouble(v -> v.get("objective/kl")).max().orElseThrow();
            System.err.printf("RewardTrainer (small-model values): %d training rankings, held-out accuracy %.3f on %d pairs "
                            + "of held-out prompts; PPO '%s' (%d steps): labeler score of fresh samples of held-out prompts "
                            + "%.3f -> %.3f; RM scores of rollouts %.3f -> %.3f; KL to the SFT policy on those samples %.2f nats "
                            + "per response (largest rollout KL %.2f)%n",
                    train.size(), rm.eval().accuracy(), rm.eval().pairs(), PpoLearningTest.WORD, steps.size(), scoreBefore,
                    scoreAfter, steps.getFirst().get("objective/scores"), steps.getLast().get("objective/scores"), kl,
                    maxRolloutKl);
            assertThat(rm.eval().accuracy()).as("reward model's held-out accuracy").isGreaterThan(0.75);
            assertThat(scoreAfter).as("labeler score after PPO vs SFT %.3f", scoreBefore).isGreaterThan(scoreBefore + 0.2);
            assertThat(kl).as("KL to the SFT policy, nats per response").isBetween(0.0, 30.0);
        }
    }

    static List<List<GeneratedSample>> groups(List<GeneratedSample> samples) {
        List<List<GeneratedSample>> out = new ArrayList<>();
        for (int from = 0; from + K <= samples.size(); from += K) {
            out.add(samples.subList(from, from + K));
        }
        return out;
    }

    /** 16 fresh samples of each held-out prompt (a seed no rollout used), 20 tokens each. */
    static List<GeneratedSample> fresh(LlamaModel policy, PpoModels models) {
        return new Generator(new LlamaLanguageModel(policy), models.tokenizer())
                .generate(HELD_OUT_PROMPTS, GenerationConfig.defaults().withMaxNewTokens(20).withNumSamples(16).withSeed(12345L));
    }

    static double mentionRate(List<GeneratedSample> samples, KeywordLabeler labeler) {
        return samples.stream().filter(s -> labeler.mentions(s.completion())).count() / (double) samples.size();
    }

    /**
     * KL(policy || SFT) on the policy's own samples: the mean over samples of the summed log-ratio of
     * the sampled tokens (k1 per sequence; the samples' log-probabilities are the policy's at temperature 1).
     */
    static double sampledKl(List<GeneratedSample> samples, LlamaModel reference, PpoModels models) {
        double total = 0;
        try (NDManager scope = reference.manager().newSubManager()) {
            List<TokenizedResponse> rows = new ArrayList<>();
            for (GeneratedSample s : samples) {
                int[] prompt = models.tokenizer().encode(s.prompt());
                int[] ids = Arrays.copyOf(prompt, prompt.length + s.tokenIds().length);
                System.arraycopy(s.tokenIds(), 0, ids, prompt.length, s.tokenIds().length);
                rows.add(new TokenizedResponse(ids, prompt.length));
            }
            PaddedBatch batch = PaddedBatch.of(rows, scope);
            NDArray logits = reference.logits(reference.hiddenStates(batch.tokens(), batch.keyMask(), null, null));
            float[] refLogps = SequenceLogprobs.ofSequence(logits, batch.tokens(), batch.responseMask()).sum().toFloatArray();
            for (int i = 0; i < samples.size(); i++) {
                total += samples.get(i).logprob() - refLogps[i];
            }
        }
        return total / samples.size();
    }
}
