package dev.rlhf.trainer.health;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.data.PaddedBatch;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.reward.RewardScorer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures a policy's {@link PolicyHealth}: draws samples of every probe prompt at temperature 1
 * without filtering (so they are samples of the policy and the KL estimate is unbiased), then scores
 * their exact token ids teacher-forced under the policy and under the SFT policy, with the same code
 * for both, so the SFT policy measured against itself gives KL 0 exactly.
 */
public final class HealthProbe {

    private static final int BATCH = 16;

    /** The measured health and the samples it was measured on (kept beside the version for inspection). */
    public record Result(PolicyHealth health, List<GeneratedSample> samples) {}

    private HealthProbe() {
    }

    /**
     * @param policy          the version measured
     * @param sft             the SFT policy (may be {@code policy} itself)
     * @param rewardModel     scores the samples, or null
     * @param rewardMaxLength tokens the reward model reads (prompt truncated from its start, as it was trained)
     * @param prompts         the probe prompts
     * @param samplesPerPrompt completions per prompt
     * @param maxNewTokens    token budget of each completion
     * @param seed            sampling seed (the same for every version, so versions are compared on equal terms)
     */
    public static Result measure(LoadedModel policy, LoadedModel sft, LoadedModel rewardModel, int rewardMaxLength,
                                 List<String> prompts, int samplesPerPrompt, int maxNewTokens, long seed) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("the health probe needs at least one prompt");
        }
        GenerationConfig sampling = GenerationConfig.defaults().withTemperature(1.0f).withTopK(0).withTopP(1.0f)
                .withMaxNewTokens(maxNewTokens).withNumSamples(samplesPerPrompt).withSeed(seed);
        List<GeneratedSample> samples = new Generator(new LlamaLanguageModel(policy.model()), policy.tokenizer())
                .generate(prompts, sampling);
        return new Result(assess(samples, policy, sft, rewardModel, rewardMaxLength), samples);
    }

    /**
     * The health of given samples of {@code policy} (e.g. those sampled for labelers). The KL estimate
     * is unbiased only for samples drawn at temperature 1 without filtering, as {@link #measure} draws them.
     */
    public static PolicyHealth assess(List<GeneratedSample> samples, LoadedModel policy, LoadedModel sft, LoadedModel rewardModel,
                                      int rewardMaxLength) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to assess");
        }
        List<TokenizedResponse> rows = new ArrayList<>(samples.size());
        java.util.Map<String, int[]> promptIds = new java.util.HashMap<>();
        for (GeneratedSample s : samples) {
            int[] p = promptIds.computeIfAbsent(s.prompt(), policy.tokenizer()::encode);
            int[] ids = new int[p.length + s.tokenIds().length];
            System.arraycopy(p, 0, ids, 0, p.length);
            System.arraycopy(s.tokenIds(), 0, ids, p.length, s.tokenIds().length);
            rows.add(new TokenizedResponse(ids, p.length));
        }
        double[][] policyLogp = sequenceLogprobs(policy.model(), rows);
        double[][] sftLogp = policy == sft ? policyLogp : sequenceLogprobs(sft.model(), rows);

        double kl = 0;
        double sftSum = 0;
        long tokens = 0;
        int eos = 0;
        List<String> texts = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            kl += policyLogp[0][i] - sftLogp[0][i];
            sftSum += sftLogp[0][i];
            tokens += (long) sftLogp[1][i];
            eos += samples.get(i).finishReason() == GeneratedSample.FinishReason.EOS ? 1 : 0;
            texts.add(samples.get(i).completion());
        }
        Double score = rewardModel == null ? null : meanScore(rewardModel, rewardMaxLength, samples);
        int n = samples.size();
        return new PolicyHealth(n, tokens == 0 ? 0 : kl / tokens, kl / n, tokens == 0 ? 0 : sftSum / tokens,
                TextHealth.distinct(texts, 1), TextHealth.distinct(texts, 2), TextHealth.repeatRate(texts),
                tokens / (double) n, eos / (double) n, score);
    }

    /**
     * The reward model's mean score of the samples: their own token ids after their prompts', cut as
     * the reward model was trained ({@link TokenizedResponse#ofTokens}), as PPO's reward source reads them.
     */
    public static double meanScore(LoadedModel rewardModel, int rewardMaxLength, List<GeneratedSample> samples) {
        java.util.Map<String, int[]> promptIds = new java.util.HashMap<>();
        List<TokenizedResponse> rows = new ArrayList<>(samples.size());
        for (GeneratedSample s : samples) {
            rows.add(TokenizedResponse.ofTokens(promptIds.computeIfAbsent(s.prompt(), rewardModel.tokenizer()::encode), s.tokenIds(),
                    rewardModel.tokenizer().eosId(), rewardMaxLength));
        }
        double[] r = RewardScorer.rewards(rewardModel.model(), rows, BATCH);
        double sum = 0;
        for (double v : r) {
            sum += v;
        }
        return sum / r.length;
    }

    /** Per row: [0] the summed log-probability of its response tokens, [1] their number. */
    private static double[][] sequenceLogprobs(LlamaModel model, List<TokenizedResponse> rows) {
        double[][] out = new double[2][rows.size()];
        for (int from = 0; from < rows.size(); from += BATCH) {
            List<TokenizedResponse> batch = rows.subList(from, Math.min(from + BATCH, rows.size()));
            try (NDManager step = model.manager().newSubManager()) {
                PaddedBatch padded = PaddedBatch.of(batch, step);
                NDArray logits = model.logits(model.hiddenStates(padded.tokens(), padded.keyMask(), null, null));
                SequenceLogprobs.Result r = SequenceLogprobs.ofSequence(logits, padded.tokens(), padded.responseMask());
                float[] sum = r.sum().toType(DataType.FLOAT32, false).toFloatArray();
                float[] count = r.count().toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = 0; i < batch.size(); i++) {
                    out[0][from + i] = sum[i];
                    out[1][from + i] = count[i];
                }
            }
        }
        return out;
    }
}
