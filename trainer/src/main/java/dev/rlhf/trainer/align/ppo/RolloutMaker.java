package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Scalars;
import dev.rlhf.trainer.training.Seeds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rlhf.trainer.align.ppo.Rollout.rowsOf;

/**
 * Makes a {@link Rollout} (OpenRLHF's experience maker): samples responses with the KV cache, scores
 * each finished response with the reward source at its last token (on the policy's own token ids),
 * computes the actor's, reference's and critic's per-token numbers with full forward passes
 * (log-probabilities at the sampling temperature), and turns them into per-token rewards (KL
 * penalty, clipped score, missing-EOS penalty), GAE advantages and returns. With a critic-free
 * advantage (RLOO, GRPO) there are no values or returns: each response's reward is the sum of its
 * per-token rewards, {@code score - kl_coef * sum_t KL_t} (TRL RLOOTrainer's {@code rlhf_reward},
 * the KL penalty folded into the sequence reward), and its advantage against the other samples of
 * its prompt ({@link RlooAdvantages}, {@link GrpoAdvantages}) is given to every one of its tokens.
 *
 * <p>Exactness: the forward passes use the row groups and padding of the first PPO epoch's
 * minibatches ({@code mini-batch-size} rows in order), so the first update sees the same
 * log-probabilities and values bit for bit. Sampling is seeded by the rollout index.
 */
final class RolloutMaker {

    private final PpoModels models;
    private final LlamaModel actor;
    private final LlamaModel critic;
    private final PpoRunConfig run;
    private final PpoConfig config;
    private final Seeds seeds;

    RolloutMaker(PpoModels models, PpoRunConfig run) {
        this.models = models;
        this.actor = models.actor();
        this.critic = models.critic();
        this.run = run;
        this.config = run.ppo();
        this.seeds = new Seeds(config.seed());
    }

    /** The responses sampled in rollout {@code index} for {@code prompts}, with the actor as it is now. */
    List<GeneratedSample> sample(List<String> prompts, int index) {
        List<int[]> ids = prompts.stream().map(this::encodePrompt).toList();
        GenerationConfig generation = GenerationConfig.defaults()
                .withMaxNewTokens(config.maxNewTokens())
                .withTemperature(run.temperature())
                .withTopK(run.topK())
                .withTopP(run.topP())
                .withNumSamples(run.numSamples())
                .withSeed(seeds.of(Seeds.Purpose.SAMPLING, index));
        return new Generator(new LlamaLanguageModel(actor), models.tokenizer()).generate(prompts, ids, generation);
    }

    /** A prompt's tokens; one too long for the context keeps BOS and its end, which the response continues. */
    private int[] encodePrompt(String prompt) {
        int[] encoded = models.tokenizer().encode(prompt);
        int room = Math.max(1, actor.config().maxSeqLen() - config.maxNewTokens());
        if (encoded.length <= room) {
            return encoded;
        }
        int[] kept = new int[room];
        kept[0] = encoded[0];
        System.arraycopy(encoded, encoded.length - (room - 1), kept, 1, room - 1);
        return kept;
    }

    /**
     * Rollout {@code index}: samples responses to {@code prompts}, scores them, and computes the per-token
     * log-probabilities, values, rewards (KL penalty at {@code controller}'s coefficient), advantages and returns.
     */
    Rollout collect(List<String> prompts, int index, KlController controller) {
        List<GeneratedSample> samples = sample(prompts, index);
        int rows = samples.size();
        List<int[]> promptIds = new ArrayList<>();
        int width = 2;
        for (GeneratedSample s : samples) {
            int[] p = encodePrompt(s.prompt());
            promptIds.add(p);
            width = Math.max(width, p.length + s.tokenIds().length);
        }
        int time = width - 1;
        float[] tokens = new float[rows * width];
        float[] keyMask = new float[rows * width];
        float[] responseTokens = new float[rows * width];
        float[] mask = new float[rows * time];
        boolean[] endedWithEos = new boolean[rows];
        List<String> promptTexts = new ArrayList<>();
        List<String> completions = new ArrayList<>();
        List<int[]> responseIds = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            GeneratedSample s = samples.get(r);
            int[] p = promptIds.get(r);
            int[] resp = s.tokenIds();
            for (int t = 0; t < p.length; t++) {
                tokens[r * width + t] = p[t];
                keyMask[r * width + t] = 1;
            }
            for (int t = 0; t < resp.length; t++) {
                int at = p.length + t;
                tokens[r * width + at] = resp[t];
                keyMask[r * width + at] = 1;
                responseTokens[r * width + at] = 1;
                mask[r * time + at - 1] = 1;
            }
            endedWithEos[r] = s.finishReason() == GeneratedSample.FinishReason.EOS;
            promptTexts.add(s.prompt());
            completions.add(s.completion());
            responseIds.add(resp);
        }
        float[] oldLogp = new float[rows * time];
        float[] refLogp = new float[rows * time];
        float[] oldValues = new float[rows * time];
        double entropySum = 0;
        int chunk = config.miniBatchSize();
        for (int from = 0; from < rows; from += chunk) {
            int[] chunkRows = range(from, Math.min(from + chunk, rows));
            Batch actorOut = policyLogprobs(actor, tokens, keyMask, responseTokens, width, chunkRows, true, run.temperature());
            System.arraycopy(actorOut.perToken, 0, oldLogp, from * time, actorOut.perToken.length);
            entropySum += actorOut.entropySum;
            Batch refOut = policyLogprobs(models.reference(), tokens, keyMask, responseTokens, width, chunkRows, false,
                    run.temperature());
            System.arraycopy(refOut.perToken, 0, refLogp, from * time, refOut.perToken.length);
            if (critic != null) {
                float[] v = criticValues(tokens, keyMask, width, chunkRows);
                System.arraycopy(v, 0, oldValues, from * time, v.length);
            }
        }
        double[] scores = models.reward().scoreTokens(promptTexts, completions, promptIds, responseIds);
        if (scores.length != rows) {
            throw new IllegalStateException("the reward source gave " + scores.length + " scores for " + rows + " responses");
        }

        float[] advantages;
        float[] returns;
        Map<String, Double> rolloutMetrics = new LinkedHashMap<>();
        try (NDManager scope = actor.manager().newSubManager()) {
            Shape shape = new Shape(rows, time);
            NDArray lp = scope.create(oldLogp, shape);
            NDArray ref = scope.create(refLogp, shape);
            NDArray m = scope.create(mask, shape);
            float[] s = new float[rows];
            for (int i = 0; i < rows; i++) {
                s[i] = (float) scores[i];
            }
            NDArray kl = config.klEstimator().perToken(lp, ref);
            TokenRewards.Result rewards = TokenRewards.compute(kl, m, scope.create(s), endedWithEos, controller.value(),
                    config.rewardClip(), config.missingEosPenalty());
            if (config.advantage() == Advantage.GAE) {
                NDArray perToken = config.whitenRewards() ? Masked.whiten(rewards.rewards(), m, false) : rewards.rewards();
                Gae.Result gae = Gae.compute(perToken, scope.create(oldValues, shape), m, config.gamma(), config.lambda());
                NDArray adv = config.whitenAdvantages() ? Masked.whiten(gae.advantages(), m, true) : gae.advantages();
                advantages = adv.toType(DataType.FLOAT32, false).toFloatArray();
                returns = gae.returns().toType(DataType.FLOAT32, false).toFloatArray();
            } else {
                double[] sequenceRewards = Masked.sum(rewards.rewards(), m, 1).toType(DataType.FLOAT64, false).toDoubleArray();
                advantages = perTokenAdvantages(groupAdvantages(sequenceRewards), mask, time);
                returns = null;
                oldValues = null;
            }
            double tokenCount = 0;
            for (float f : mask) {
                tokenCount += f;
            }
            Map<String, Double> rm = rewards.metrics();
            rolloutMetrics.put(TokenRewards.KL, rm.get(TokenRewards.KL));
            rolloutMetrics.put(Entropy.METRIC, entropySum / Math.max(tokenCount, 1));
            rolloutMetrics.put(TokenRewards.SCORES, rm.get(TokenRewards.SCORES));
            rolloutMetrics.put(TokenRewards.NON_SCORE_REWARD, rm.get(TokenRewards.NON_SCORE_REWARD));
            rolloutMetrics.put(TokenRewards.RLHF_REWARD, rm.get(TokenRewards.RLHF_REWARD));
            rolloutMetrics.put(TokenRewards.KL_COEF, rm.get(TokenRewards.KL_COEF));
            rolloutMetrics.put("response_length", tokenCount / rows);
            int eos = 0;
            for (boolean e : endedWithEos) {
                eos += e ? 1 : 0;
            }
            rolloutMetrics.put("eos_fraction", eos / (double) rows);
        }
        return new Rollout(rows, width, tokens, keyMask, responseTokens, mask, oldLogp, oldValues, advantages, returns,
                rolloutMetrics);
    }

    /** The critic-free estimators' per-sequence advantages over the K samples of each prompt. */
    private double[] groupAdvantages(double[] sequenceRewards) {
        return switch (config.advantage()) {
            case RLOO -> RlooAdvantages.compute(sequenceRewards, run.numSamples());
            case GRPO -> GrpoAdvantages.compute(sequenceRewards, run.numSamples(), config.scaleRewards());
            case GAE -> throw new IllegalStateException("GAE advantages are per token");
        };
    }

    /** Each sequence's advantage on every one of its response tokens, 0 elsewhere [rows, time]. */
    static float[] perTokenAdvantages(double[] sequence, float[] mask, int time) {
        float[] out = new float[mask.length];
        for (int r = 0; r < sequence.length; r++) {
            for (int t = 0; t < time; t++) {
                if (mask[r * time + t] != 0) {
                    out[r * time + t] = (float) sequence[r];
                }
            }
        }
        return out;
    }

    private record Batch(float[] perToken, double entropySum) {}

    /**
     * Per-token log-probabilities of the response tokens of {@code rows} (and their entropy) under the
     * distribution the rollout sampled from (logits divided by the temperature), no gradients.
     */
    private static Batch policyLogprobs(LlamaModel model, float[] tokens, float[] keyMask, float[] responseTokens,
                                        int width, int[] rows, boolean withEntropy, float temperature) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray t = rowsOf(step, tokens, width, rows, DataType.INT64);
            NDArray km = rowsOf(step, keyMask, width, rows, DataType.FLOAT32);
            NDArray rt = rowsOf(step, responseTokens, width, rows, DataType.FLOAT32);
            NDArray logits = atTemperature(model.logits(model.hiddenStates(t, km, null, null)), temperature);
            // One log_softmax over the vocabulary for both the log-probabilities and the entropy: the
            // same values as computing each from the logits, one [rows, time, vocab] pass fewer.
            NDIndex next = new NDIndex(":, 1:");
            NDArray logp = logits.get(":, :-1, :").logSoftmax(-1);
            NDArray perToken = SequenceLogprobs.perTokenOfLogprobs(logp, t.get(next), rt.get(next));
            double entropy = !withEntropy ? 0 : Masked.sum(Entropy.ofLogprobs(logp), rt.get(next), 1).sum()
                    .toType(DataType.FLOAT64, false).getDouble();
            return new Batch(perToken.toType(DataType.FLOAT32, false).toFloatArray(), entropy);
        }
    }

    /**
     * Logits of the sampling distribution: divided by the rollout temperature, as TRL and OpenRLHF do
     * for the rollout's, the reference's and the update's log-probabilities alike, so the ratio is
     * taken against the policy that sampled and the KL compares two distributions at the same
     * temperature. At temperature 1 the logits are used as they are (no operation at all).
     */
    static NDArray atTemperature(NDArray logits, float temperature) {
        return temperature == 1.0f ? logits : Scalars.dividedBy(logits, temperature);
    }

    private float[] criticValues(float[] tokens, float[] keyMask, int width, int[] rows) {
        try (NDManager step = critic.manager().newSubManager()) {
            NDArray t = rowsOf(step, tokens, width, rows, DataType.INT64);
            NDArray km = rowsOf(step, keyMask, width, rows, DataType.FLOAT32);
            NDArray values = critic.values(critic.hiddenStates(t, km, null, null)).get(":, :-1");
            return values.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
