package dev.rlhf.trainer.align.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.checkpoint.AtomicDirectory;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.SafetensorsFiles;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Scalars;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.sft.TokenizedExample;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * PPO with a per-token KL penalty against the SFT policy and optional pretraining mix (PPO-ptx),
 * as InstructGPT, TRL and OpenRLHF run it. One rollout: sample {@code batch-size} responses with the
 * KV cache, score each finished response with the reward model at its last token (on the policy's
 * own token ids), compute the actor's, reference's and critic's per-token numbers with full forward
 * passes (log-probabilities at the sampling temperature), turn them into
 * per-token rewards (KL penalty, clipped score, missing-EOS penalty), GAE advantages and returns.
 * Then {@code ppo-epochs} passes over the rollout in {@code num-mini-batches} minibatches, each an
 * optimizer step of the actor (clipped policy loss, plus gamma_ptx times the LM loss of a ptx batch)
 * and of the critic (clipped value loss). The KL controller is updated after each rollout.
 *
 * <p>Exactness: the rollout's forward passes use the same row groups and padding as the first
 * epoch's minibatches, which visit the rollout in order, so the first update sees the same
 * log-probabilities and values bit for bit (ratio 1, approxkl 0, clip fractions 0). Later epochs
 * shuffle. Every random choice is a function of the seed and counters (rollout index, epoch, data
 * position), and the resumable state holds those counters, both models, both optimizers, the KL
 * controller and, when a run stops in the middle of a rollout, the rollout itself; resuming continues
 * exactly as an uninterrupted run would.
 *
 * <p>Memory: every forward pass and update runs in its own sub-manager, closed before the next;
 * the rollout lives in host arrays between steps, so nothing grows with the number of steps.
 *
 * <p>Output: {@code <out>/model} (the trained actor), {@code <out>/critic} and {@code <out>/resume}.
 */
public final class PpoTrainer {

    public static final String PHASE = "ppo";
    private static final String STATE_JSON = "trainer-state.json";
    private static final String ACTOR_OPTIMIZER = "actor-optimizer.safetensors";
    private static final String CRITIC_OPTIMIZER = "critic-optimizer.safetensors";
    private static final String ROLLOUT = "rollout.safetensors";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /**
     * What a run achieved, and how fast (wall clock, this process's share of the run; not in the
     * metrics, which stay reproducible).
     *
     * @param rolloutTokensPerSecond response tokens sampled per second of rollout (sampling with the
     *                               KV cache, the four models' forward passes, scoring, GAE)
     * @param secondsPerUpdate       mean time of one optimizer step (actor and critic)
     */
    public record Result(int steps, int rollouts, Map<String, Double> lastMetrics, Path model,
                         double rolloutTokensPerSecond, double secondsPerUpdate) {}

    /** Called after every optimizer step (progress display, tests). */
    public interface StepListener {
        void afterStep(int step, int totalSteps, Map<String, Double> metrics);
    }

    private final PpoModels models;
    private final LlamaModel actor;
    private final LlamaModel critic;
    private final PpoRunConfig run;
    private final PpoConfig config;
    private final MetricsSink metrics;
    private StepListener listener = (step, total, values) -> {};

    public PpoTrainer(PpoModels models, PpoRunConfig run, MetricsSink metrics) {
        this.models = models;
        this.actor = models.actor();
        this.critic = models.critic();
        this.run = run;
        this.config = run.ppo();
        this.metrics = metrics;
    }

    public PpoTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    /** Optimizer steps a run over {@code promptCount} prompts takes. */
    public int totalSteps(int promptCount) {
        if (run.maxSteps() > 0) {
            return run.maxSteps();
        }
        int rollouts = (int) Math.ceil(promptCount * (double) run.epochs() / run.promptsPerRollout());
        return rollouts * run.stepsPerRollout();
    }

    /**
     * Trains on {@code prompts}, mixing in {@code ptx} examples (null or empty: none), and writes to
     * {@code out}. With {@code resume}, continues from {@code out/resume} when it exists.
     */
    public Result train(List<String> prompts, List<SftExample> ptx, Path out, boolean resume) throws IOException {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        List<TokenizedExample> ptxTokens = tokenizePtx(ptx);
        if (config.ptxCoef() > 0 && ptxTokens.isEmpty()) {
            throw new IllegalArgumentException("ptx-coef " + config.ptxCoef() + " needs ptx data");
        }
        int totalSteps = totalSteps(prompts.size());
        actor.setTrainable(name -> true);
        critic.setTrainable(name -> true);
        Map<String, NDArray> actorParams = new LinkedHashMap<>(actor.parameters());
        Map<String, NDArray> criticParams = new LinkedHashMap<>(critic.parameters());
        State state = new State(KlController.of(config));
        Map<String, Double> last = Map.of();
        long rolloutNanos = 0;
        long rolloutTokens = 0;
        long updateNanos = 0;
        int updates = 0;
        try (AdamW actorOptimizer = new AdamW(actorParams, run.optimizer(), actor.manager());
             AdamW criticOptimizer = new AdamW(criticParams, run.optimizer(), critic.manager())) {
            Path resumeDir = out.resolve("resume");
            if (resume && Files.isRegularFile(resumeDir.resolve(STATE_JSON))) {
                state = restore(resumeDir, actorOptimizer, criticOptimizer);
            }
            Cursor<String> promptCursor = new Cursor<>(prompts, config.seed(), 0);
            Cursor<TokenizedExample> ptxCursor = ptxTokens.isEmpty() ? null : new Cursor<>(ptxTokens, config.seed(), 1);
            while (state.step < totalSteps) {
                if (state.rollout == null) {
                    long start = System.nanoTime();
                    state.rollout = collectRollout(promptCursor.next(state.prompts, run.promptsPerRollout()),
                            state.rolloutIndex, state.controller);
                    rolloutNanos += System.nanoTime() - start;
                    rolloutTokens += Math.round(state.rollout.metrics.get("response_length") * state.rollout.rows);
                    state.epoch = 0;
                    state.miniBatch = 0;
                }
                Rollout r = state.rollout;
                int[] rows = miniBatchRows(r.rows, state.rolloutIndex, state.epoch, state.miniBatch);
                List<TokenizedExample> ptxBatch = ptxCursor == null ? null : ptxCursor.next(state.ptx, run.effectivePtxBatchSize());
                Map<String, Double> values = new LinkedHashMap<>(r.metrics);
                long start = System.nanoTime();
                values.putAll(update(r, rows, ptxBatch, actorParams, criticParams, actorOptimizer, criticOptimizer));
                updateNanos += System.nanoTime() - start;
                updates++;
                state.step++;
                boolean rolloutDone = state.advanceMiniBatch(config.numMiniBatches(), config.ppoEpochs());
                if (rolloutDone) {
                    state.controller = state.controller.update(r.metrics.get(TokenRewards.KL), config.rolloutBatchSize());
                    state.rollout = null;
                    state.rolloutIndex++;
                }
                metrics.record(PHASE, state.step, values);
                listener.afterStep(state.step, totalSteps, values);
                last = values;
                boolean end = state.step == totalSteps;
                if (end || (rolloutDone && run.checkpointEvery() > 0 && state.rolloutIndex % run.checkpointEvery() == 0)) {
                    save(resumeDir, state, actorOptimizer, criticOptimizer);
                }
            }
            Path modelDir = out.resolve("model");
            Map<String, String> meta = Map.of("phase", PHASE, "steps", Integer.toString(state.step));
            ModelCheckpoint.save(actor, models.tokenizer(), modelDir, meta);
            ModelCheckpoint.save(critic, models.tokenizer(), out.resolve("critic"), meta);
            return new Result(state.step, state.rolloutIndex, last, modelDir,
                    rolloutNanos == 0 ? Double.NaN : rolloutTokens / (rolloutNanos / 1e9),
                    updates == 0 ? Double.NaN : updateNanos / 1e9 / updates);
        }
    }

    // ---------------------------------------------------------------- rollout

    /**
     * One rollout, all in host arrays: rows are prompt + response tokens, right-padded to a common
     * width; per-token arrays cover the {@code width - 1} predicted positions.
     */
    static final class Rollout {
        final int rows;
        final int width;
        final float[] tokens;
        final float[] keyMask;
        final float[] responseTokens; // [rows, width]: 1 at response tokens
        final float[] mask;           // [rows, width - 1]: 1 where the position predicts a response token
        final float[] oldLogp;
        final float[] oldValues;
        final float[] advantages;
        final float[] returns;
        final Map<String, Double> metrics;

        Rollout(int rows, int width, float[] tokens, float[] keyMask, float[] responseTokens, float[] mask,
                float[] oldLogp, float[] oldValues, float[] advantages, float[] returns, Map<String, Double> metrics) {
            this.rows = rows;
            this.width = width;
            this.tokens = tokens;
            this.keyMask = keyMask;
            this.responseTokens = responseTokens;
            this.mask = mask;
            this.oldLogp = oldLogp;
            this.oldValues = oldValues;
            this.advantages = advantages;
            this.returns = returns;
            this.metrics = metrics;
        }

        Map<String, float[]> arrays() {
            Map<String, float[]> a = new LinkedHashMap<>();
            a.put("tokens", tokens);
            a.put("keyMask", keyMask);
            a.put("responseTokens", responseTokens);
            a.put("mask", mask);
            a.put("oldLogp", oldLogp);
            a.put("oldValues", oldValues);
            a.put("advantages", advantages);
            a.put("returns", returns);
            return a;
        }
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
                .withSeed(mix(config.seed(), 2, index));
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

    Rollout collectRollout(List<String> prompts, int index, KlController controller) {
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
            float[] v = criticValues(tokens, keyMask, width, chunkRows);
            System.arraycopy(v, 0, oldValues, from * time, v.length);
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
            NDArray perToken = config.whitenRewards() ? Masked.whiten(rewards.rewards(), m, false) : rewards.rewards();
            Gae.Result gae = Gae.compute(perToken, scope.create(oldValues, shape), m, config.gamma(), config.lambda());
            NDArray adv = config.whitenAdvantages() ? Masked.whiten(gae.advantages(), m, true) : gae.advantages();
            advantages = adv.toType(DataType.FLOAT32, false).toFloatArray();
            returns = gae.returns().toType(DataType.FLOAT32, false).toFloatArray();
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
            NDArray perToken = SequenceLogprobs.ofSequence(logits, t, rt).perToken();
            double entropy = 0;
            if (withEntropy) {
                NDArray h = Entropy.perToken(logits.get(":, :-1, :"));
                entropy = Masked.sum(h, rt.get(":, 1:"), 1).sum().toType(DataType.FLOAT64, false).getDouble();
            }
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

    // ---------------------------------------------------------------- update

    /** One optimizer step of the actor and of the critic on the minibatch {@code rows}; returns its metrics. */
    private Map<String, Double> update(Rollout r, int[] rows, List<TokenizedExample> ptxBatch,
                                       Map<String, NDArray> actorParams, Map<String, NDArray> criticParams,
                                       AdamW actorOptimizer, AdamW criticOptimizer) {
        Map<String, Double> values = new LinkedHashMap<>();
        int time = r.width - 1;
        try (NDManager step = actor.manager().newSubManager()) {
            NDArray t = rowsOf(step, r.tokens, r.width, rows, DataType.INT64);
            NDArray km = rowsOf(step, r.keyMask, r.width, rows, DataType.FLOAT32);
            NDArray rt = rowsOf(step, r.responseTokens, r.width, rows, DataType.FLOAT32);
            NDArray mask = rowsOf(step, r.mask, time, rows, DataType.FLOAT32);
            NDArray oldLogp = rowsOf(step, r.oldLogp, time, rows, DataType.FLOAT32);
            NDArray advantages = rowsOf(step, r.advantages, time, rows, DataType.FLOAT32);
            LossOutput actorLoss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = atTemperature(actor.logits(actor.hiddenStates(t, km, null, null)), run.temperature());
                NDArray logp = SequenceLogprobs.ofSequence(logits, t, rt).perToken();
                LossOutput policy = PolicyLoss.compute(logp, oldLogp, advantages, mask, config.clipRange());
                NDArray ptxLoss = ptxBatch == null ? null : ptxLoss(step, ptxBatch);
                actorLoss = ActorLoss.combine(policy, ptxLoss, config.ptxCoef());
                collector.backward(actorLoss.loss());
            }
            values.putAll(actorLoss.metrics());
        }
        values.put("policy/grad_norm", (double) Gradients.clipGlobalNorm(actorParams.values(), run.maxGradNorm(), actor.manager()));
        actorOptimizer.step((float) config.actorLearningRate());

        try (NDManager step = critic.manager().newSubManager()) {
            NDArray t = rowsOf(step, r.tokens, r.width, rows, DataType.INT64);
            NDArray km = rowsOf(step, r.keyMask, r.width, rows, DataType.FLOAT32);
            NDArray mask = rowsOf(step, r.mask, time, rows, DataType.FLOAT32);
            NDArray oldValues = rowsOf(step, r.oldValues, time, rows, DataType.FLOAT32);
            NDArray returns = rowsOf(step, r.returns, time, rows, DataType.FLOAT32);
            LossOutput valueLoss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray v = critic.values(critic.hiddenStates(t, km, null, null)).get(":, :-1");
                valueLoss = ValueLoss.compute(v, oldValues, returns, mask, config.valueClipRange());
                collector.backward(Functions.scale(valueLoss.loss(), config.vfCoef()));
            }
            values.putAll(valueLoss.metrics());
        }
        values.put("val/grad_norm", (double) Gradients.clipGlobalNorm(criticParams.values(), run.maxGradNorm(), critic.manager()));
        criticOptimizer.step((float) config.criticLearningRate());
        return values;
    }

    /** The language-model loss of a ptx batch (prompt tokens of {prompt, completion} examples excluded). */
    private NDArray ptxLoss(NDManager step, List<TokenizedExample> batch) {
        int rows = batch.size();
        int width = batch.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
        long[] ids = new long[rows * width];
        float[] keyMask = new float[rows * width];
        float[] learn = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            TokenizedExample e = batch.get(r);
            for (int t = 0; t < e.ids().length; t++) {
                ids[r * width + t] = e.ids()[t];
                keyMask[r * width + t] = 1;
                learn[r * width + t] = t >= e.lossFrom() ? 1 : 0;
            }
        }
        Shape shape = new Shape(rows, width);
        NDArray tokens = step.create(ids, shape);
        NDArray logits = actor.logits(actor.hiddenStates(tokens, step.create(keyMask, shape), null, null));
        NDArray learned = step.create(learn, shape);
        return ActorLoss.languageModelLoss(logits.get(":, :-1, :"), tokens.get(":, 1:"), learned.get(":, 1:"));
    }

    private List<TokenizedExample> tokenizePtx(List<SftExample> ptx) {
        List<TokenizedExample> out = new ArrayList<>();
        if (ptx == null) {
            return out;
        }
        int maxLength = Math.min(run.ptxMaxSeqLen(), actor.config().maxSeqLen());
        for (SftExample e : ptx) {
            TokenizedExample t = TokenizedExample.of(e, models.tokenizer(), maxLength, true);
            if (t != null) {
                out.add(t);
            }
        }
        if (!ptx.isEmpty() && out.isEmpty()) {
            throw new IllegalArgumentException("no ptx example has tokens to learn after truncation");
        }
        return out;
    }

    /** Rows {@code rows} of a [N, width] host array as an array of {@code type} [rows, width]. */
    private static NDArray rowsOf(NDManager step, float[] data, int width, int[] rows, DataType type) {
        float[] picked = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(data, rows[i] * width, picked, i * width, width);
        }
        NDArray a = step.create(picked, new Shape(rows.length, width));
        return type == DataType.FLOAT32 ? a : a.toType(type, false);
    }

    /**
     * The rows of minibatch {@code miniBatch} in epoch {@code epoch} of rollout {@code rollout}: in
     * order in the first epoch (the grouping the rollout's forward passes used), shuffled after.
     */
    private int[] miniBatchRows(int rows, int rollout, int epoch, int miniBatch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            order.add(i);
        }
        if (epoch > 0) {
            Collections.shuffle(order, new Random(mix(config.seed(), 3, rollout * 1_000L + epoch)));
        }
        int size = config.miniBatchSize();
        int[] picked = new int[size];
        for (int i = 0; i < size; i++) {
            picked[i] = order.get(miniBatch * size + i);
        }
        return picked;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    /** A seed for stream {@code stream} at counter {@code counter} (SplitMix64 of the combination). */
    static long mix(long seed, int stream, long counter) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + counter * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---------------------------------------------------------------- data order and state

    /** Where a data set is read: epoch and position in a per-epoch shuffled order (a function of seed and epoch). */
    static final class Position {
        int epoch;
        int position;
    }

    /** Items of a list in per-epoch shuffled orders, read from a {@link Position}. */
    private static final class Cursor<T> {
        private final List<T> items;
        private final long seed;
        private final int stream;
        private int orderEpoch = -1;
        private List<Integer> order;

        Cursor(List<T> items, long seed, int stream) {
            this.items = items;
            this.seed = seed;
            this.stream = stream;
        }

        List<T> next(Position at, int n) {
            List<T> out = new ArrayList<>(n);
            while (out.size() < n) {
                if (at.position >= items.size()) {
                    at.epoch++;
                    at.position = 0;
                }
                if (orderEpoch != at.epoch) {
                    order = new ArrayList<>();
                    for (int i = 0; i < items.size(); i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(mix(seed, stream, at.epoch)));
                    orderEpoch = at.epoch;
                }
                out.add(items.get(order.get(at.position)));
                at.position++;
            }
            return out;
        }
    }

    /** Everything needed to continue exactly (besides the models and optimizers). */
    private static final class State {
        int step;
        int rolloutIndex;
        int epoch;
        int miniBatch;
        final Position prompts = new Position();
        final Position ptx = new Position();
        KlController controller;
        Rollout rollout;

        State(KlController controller) {
            this.controller = controller;
        }

        /** Moves to the next minibatch; true when that finished the rollout's last epoch. */
        boolean advanceMiniBatch(int miniBatches, int epochs) {
            miniBatch++;
            if (miniBatch == miniBatches) {
                miniBatch = 0;
                epoch++;
            }
            return epoch == epochs;
        }
    }

    private void save(Path dir, State state, AdamW actorOptimizer, AdamW criticOptimizer) throws IOException {
        AtomicDirectory.write(dir, temp -> {
            Map<String, String> meta = Map.of("phase", PHASE, "step", Integer.toString(state.step));
            Path actorDir = Files.createDirectories(temp.resolve("actor"));
            ModelCheckpoint.writeInto(actor, models.tokenizer(), actorDir, meta);
            Path criticDir = Files.createDirectories(temp.resolve("critic"));
            ModelCheckpoint.writeInto(critic, models.tokenizer(), criticDir, meta);
            SafetensorsFiles.write(temp.resolve(ACTOR_OPTIMIZER), actorOptimizer.state());
            SafetensorsFiles.write(temp.resolve(CRITIC_OPTIMIZER), criticOptimizer.state());
            ObjectNode json = JSON.createObjectNode();
            json.put("step", state.step);
            json.put("rollout", state.rolloutIndex);
            json.put("epoch", state.epoch);
            json.put("miniBatch", state.miniBatch);
            json.put("promptEpoch", state.prompts.epoch);
            json.put("promptPosition", state.prompts.position);
            json.put("ptxEpoch", state.ptx.epoch);
            json.put("ptxPosition", state.ptx.position);
            json.set("klController", JSON.valueToTree(state.controller));
            json.put("actorOptimizerSteps", actorOptimizer.steps());
            json.put("criticOptimizerSteps", criticOptimizer.steps());
            json.put("seed", config.seed());
            json.set("config", JSON.valueToTree(config));
            if (state.rollout != null) {
                Rollout r = state.rollout;
                ObjectNode node = json.putObject("pendingRollout");
                node.put("rows", r.rows);
                node.put("width", r.width);
                ObjectNode m = node.putObject("metrics");
                r.metrics.forEach(m::put);
                try (NDManager scratch = actor.manager().newSubManager()) {
                    Map<String, NDArray> tensors = new LinkedHashMap<>();
                    r.arrays().forEach((name, values) -> tensors.put(name, scratch.create(values)));
                    SafetensorsFiles.write(temp.resolve(ROLLOUT), tensors);
                }
            }
            Files.writeString(temp.resolve(STATE_JSON), json.toPrettyString());
        });
    }

    private State restore(Path dir, AdamW actorOptimizer, AdamW criticOptimizer) throws IOException {
        JsonNode json = JSON.readTree(dir.resolve(STATE_JSON));
        if (json.path("seed").asLong() != config.seed()) {
            throw new IllegalArgumentException(dir + ": saved with seed " + json.path("seed").asLong()
                    + ", this run uses " + config.seed() + "; resume needs the same seed");
        }
        PpoConfig saved = JSON.treeToValue(json.path("config"), PpoConfig.class);
        if (saved.rolloutBatchSize() != config.rolloutBatchSize() || saved.numMiniBatches() != config.numMiniBatches()
                || saved.ppoEpochs() != config.ppoEpochs()) {
            throw new IllegalArgumentException(dir + ": saved with batch-size " + saved.rolloutBatchSize() + ", "
                    + saved.numMiniBatches() + " minibatches and " + saved.ppoEpochs()
                    + " PPO epochs; resume needs the same batching");
        }
        try (NDManager scratch = actor.manager().newSubManager()) {
            loadWeights(actor, dir.resolve("actor").resolve(ModelCheckpoint.WEIGHTS), scratch);
            actorOptimizer.load(SafetensorsFiles.read(dir.resolve(ACTOR_OPTIMIZER), scratch), json.path("actorOptimizerSteps").asInt());
        }
        try (NDManager scratch = critic.manager().newSubManager()) {
            loadWeights(critic, dir.resolve("critic").resolve(ModelCheckpoint.WEIGHTS), scratch);
            criticOptimizer.load(SafetensorsFiles.read(dir.resolve(CRITIC_OPTIMIZER), scratch), json.path("criticOptimizerSteps").asInt());
        }
        State state = new State(JSON.treeToValue(json.path("klController"), KlController.class));
        state.step = json.path("step").asInt();
        state.rolloutIndex = json.path("rollout").asInt();
        state.epoch = json.path("epoch").asInt();
        state.miniBatch = json.path("miniBatch").asInt();
        state.prompts.epoch = json.path("promptEpoch").asInt();
        state.prompts.position = json.path("promptPosition").asInt();
        state.ptx.epoch = json.path("ptxEpoch").asInt();
        state.ptx.position = json.path("ptxPosition").asInt();
        JsonNode pending = json.path("pendingRollout");
        if (pending.isObject()) {
            Map<String, Double> rolloutMetrics = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : pending.path("metrics").properties()) {
                rolloutMetrics.put(e.getKey(), e.getValue().asDouble());
            }
            Map<String, float[]> a = new LinkedHashMap<>();
            try (NDManager scratch = actor.manager().newSubManager()) {
                SafetensorsFiles.read(dir.resolve(ROLLOUT), scratch).forEach((name, array) -> a.put(name, array.toFloatArray()));
            }
            state.rollout = new Rollout(pending.path("rows").asInt(), pending.path("width").asInt(), a.get("tokens"),
                    a.get("keyMask"), a.get("responseTokens"), a.get("mask"), a.get("oldLogp"), a.get("oldValues"),
                    a.get("advantages"), a.get("returns"), rolloutMetrics);
        }
        return state;
    }

    private static void loadWeights(LlamaModel model, Path file, NDManager scratch) throws IOException {
        Map<String, NDArray> weights = SafetensorsFiles.read(file, scratch);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray saved = weights.get(e.getKey());
            if (saved == null) {
                throw new IllegalArgumentException(file + ": checkpoint lacks " + e.getKey());
            }
            e.getValue().set(saved.toFloatArray());
        }
    }

}
