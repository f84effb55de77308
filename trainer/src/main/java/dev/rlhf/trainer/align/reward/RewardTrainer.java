package dev.rlhf.trainer.align.reward;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.data.PaddedBatch;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.DataCursor;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.LearningRateSchedule;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.training.Seeds;
import dev.rlhf.trainer.training.StepListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Reward-model training on rankings (InstructGPT section 3.5): the decoder (trunk from the SFT
 * policy) with a scalar value head read at the last token of prompt + response + EOS, trained with
 * the K-way {@link RankingLoss}: each ranking is one batch element holding all its ordered pairs, each pair asking
 * for the configured margin, or with {@link RewardModelConfig#marginFromData()} for its own ({@link RankedResponses#margin}).
 * After training, rewards are shifted to mean 0 on the reference set (every response of the
 * training rankings) by folding the offset into the value head's bias, and the checkpoint is written
 * atomically to {@code <out>/model} with the offset in its metadata.
 *
 * <p>Metrics per optimizer step ({@code phase} "reward"): {@code loss}, {@code accuracy},
 * {@code margin} of the step's minibatch, computed before the step's update (so step 1 describes
 * the initial model), with {@code learning_rate} and {@code grad_norm}; at the end
 * {@code eval_accuracy}, {@code eval_margin} and {@code eval_pairs} on the held-out prompts.
 */
public final class RewardTrainer {

    public static final String PHASE = "reward";

    /**
     * Checkpoint metadata: the length in tokens the model was trained and evaluated at; PPO's
     * {@code ValueHeadRewardSource} truncates the rollouts it scores to it the same way.
     */
    public static final String MAX_LENGTH_METADATA = "reward_max_length";

    /** What a run achieved. */
    public record Result(int steps, double lastLoss, double lastAccuracy, RewardScorer.Accuracy eval,
                         double rewardOffset, Path model) {}


    /** A ranking with its responses tokenized, indices into {@code responses}, and the margins its pairs ask for. */
    private record TokenizedRanking(List<TokenizedResponse> responses, Ranking ranking, RankingLoss.PairMargins margins) {}

    private final LoadedModel loaded;
    private final LlamaModel model;
    private final RewardModelConfig config;
    private final MetricsSink metrics;
    private StepListener listener = StepListener.NONE;

    public RewardTrainer(LoadedModel loaded, RewardModelConfig config, MetricsSink metrics) {
        this.loaded = loaded;
        this.model = loaded.model();
        this.config = config;
        this.metrics = metrics;
    }

    public RewardTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    /**
     * Trains on {@code train}, evaluating on {@code eval} (or on the rankings of a held-out
     * {@code evalFraction} of the prompts when null), and writes {@code <out>/model}.
     */
    public Result train(List<RankedResponses> train, List<RankedResponses> eval, Path out) throws IOException {
        List<RankedResponses> trainSet = train;
        List<RankedResponses> evalSet = eval;
        if (evalSet == null) {
            List<List<RankedResponses>> split = splitByPrompt(train, config.evalFraction(), config.seed());
            trainSet = split.get(0);
            evalSet = split.get(1);
        }
        List<TokenizedRanking> rankings = new ArrayList<>();
        for (RankedResponses r : trainSet) {
            if (r.ranking().pairCount() > 0) {
                rankings.add(tokenize(r));
            }
        }
        if (rankings.isEmpty()) {
            throw new IllegalArgumentException("no training ranking orders two responses (all tied or single)");
        }
        initialiseValueHead(model, config.seed());
        model.setTrainable(name -> true);
        Map<String, NDArray> trainable = new LinkedHashMap<>(model.parameters());

        DataCursor<TokenizedRanking> batches = new DataCursor<>(rankings, new Seeds(config.seed()).supervisedOrder());
        int totalSteps = config.maxSteps() > 0 ? config.maxSteps() : batches.batchesPerEpoch(config.batchSize()) * config.epochs();
        listener.beforeFirstStep(totalSteps);
        LearningRateSchedule schedule = new LearningRateSchedule((float) config.learningRate(),
                (int) Math.round(config.warmupRatio() * totalSteps), totalSteps, 0.1f);
        AdamW.Settings adam = new AdamW.Settings(0.9f, 0.95f, 1e-8f, (float) config.weightDecay());
        double lastLoss = Double.NaN;
        double lastAccuracy = Double.NaN;
        try (AdamW optimizer = new AdamW(trainable, adam, model.manager())) {
            for (int step = 1; step <= totalSteps; step++) {
                List<TokenizedRanking> batch = batches.nextBatch(config.batchSize());
                Map<String, Double> values;
                long pairs = 0;
                try (NDManager scope = model.manager().newSubManager();
                     GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    List<TokenizedResponse> rows = new ArrayList<>();
                    List<Ranking> offsetRankings = new ArrayList<>();
                    List<RankingLoss.PairMargins> margins = new ArrayList<>();
                    for (TokenizedRanking r : batch) {
                        int offset = rows.size();
                        offsetRankings.add(shift(r.ranking(), offset));
                        margins.add((better, worse) -> r.margins().of(better - offset, worse - offset));
                        rows.addAll(r.responses());
                        pairs += r.ranking().pairCount();
                    }
                    NDArray rewards = RewardScorer.rewards(model, PaddedBatch.of(rows, scope));
                    LossOutput loss = RankingLoss.compute(rewards, offsetRankings, margins);
                    collector.backward(loss.loss());
                    values = new LinkedHashMap<>(loss.metrics());
                }
                float gradNorm = Gradients.clipGlobalNorm(trainable.values(), (float) config.maxGradNorm(), model.manager());
                float lr = schedule.at(step);
                optimizer.step(lr);
                lastLoss = values.get(RankingLoss.LOSS);
                lastAccuracy = values.get(RankingLoss.ACCURACY);
                values.put("learning_rate", (double) lr);
                values.put("grad_norm", (double) gradNorm);
                values.put("epoch", batches.epochProgress());
                metrics.record(PHASE, step, values);
                listener.afterStep(step, totalSteps, pairs);
            }
        }
        model.setTrainable(name -> false);

        double offset = 0;
        if (config.normalizeToMean()) {
            RewardNormalization normalization = RewardNormalization.fit(referenceRewards(trainSet));
            normalization.foldInto(model);
            offset = normalization.offset();
        }
        RewardScorer.Accuracy evalAccuracy = null;
        if (!evalSet.isEmpty()) {
            evalAccuracy = RewardScorer.accuracy(model, loaded.tokenizer(), evalSet, maxLength(), scoringBatch());
            if (evalAccuracy.pairs() > 0) {
                metrics.record(PHASE, totalSteps, Map.of("eval_accuracy", evalAccuracy.accuracy(),
                        "eval_margin", evalAccuracy.meanMargin(), "eval_pairs", (double) evalAccuracy.pairs()));
            }
        }
        Path modelDir = out.resolve("model");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("phase", PHASE);
        metadata.put("steps", Integer.toString(totalSteps));
        metadata.put("reward_offset", Double.toString(offset));
        metadata.put("reward_normalization", config.normalizeToMean()
                ? "mean 0 on the " + trainSet.size() + " training rankings' responses (offset folded into value_head.bias)"
                : "none");
        metadata.put(MAX_LENGTH_METADATA, Integer.toString(maxLength()));
        ModelCheckpoint.save(model, loaded.tokenizer(), modelDir, metadata);
        return new Result(totalSteps, lastLoss, lastAccuracy, evalAccuracy, offset, modelDir);
    }

    /** Raw rewards of every distinct (prompt, response) of {@code data}: the normalisation's reference set. */
    private double[] referenceRewards(List<RankedResponses> data) {
        Set<List<String>> seen = new LinkedHashSet<>();
        for (RankedResponses r : data) {
            for (String response : r.responses()) {
                seen.add(List.of(r.prompt(), response));
            }
        }
        List<TokenizedResponse> rows = new ArrayList<>();
        for (List<String> pr : seen) {
            rows.add(TokenizedResponse.of(pr.get(0), pr.get(1), loaded.tokenizer(), maxLength()));
        }
        return RewardScorer.rewards(model, rows, scoringBatch());
    }

    /**
     * Adds a value head to a plain language model, initialised small: normal(0, 1 / (dim + 1)) weights
     * (OpenRLHF's value-head init) and zero bias, so initial rewards are near 0 and the K-way loss
     * starts near ln 2. A model that already has a head (a reward model trained further) keeps it.
     */
    public static void initialiseValueHead(LlamaModel model, long seed) {
        if (model.hasValueHead()) {
            return;
        }
        model.addValueHead();
        int dim = model.config().dim();
        Random random = new Random(seed);
        float[] w = new float[dim];
        for (int i = 0; i < dim; i++) {
            w[i] = (float) (random.nextGaussian() / (dim + 1));
        }
        model.replaceParameter(LlamaModel.VALUE_HEAD_WEIGHT,
                model.manager().create(w, new Shape(1, dim)).toType(model.dataType(), false));
    }

    private TokenizedRanking tokenize(RankedResponses r) {
        List<TokenizedResponse> rows = new ArrayList<>();
        for (String response : r.responses()) {
            rows.add(TokenizedResponse.of(r.prompt(), response, loaded.tokenizer(), maxLength()));
        }
        RankingLoss.PairMargins margins = config.marginFromData()
                ? (better, worse) -> r.margin(better, worse).orElse(0)
                : RankingLoss.PairMargins.constant(config.margin());
        return new TokenizedRanking(rows, r.ranking(), margins);
    }

    private int maxLength() {
        return Math.min(config.maxLength(), model.config().maxSeqLen());
    }

    private int scoringBatch() {
        return Math.max(config.batchSize() * 4, 16);
    }

    private static Ranking shift(Ranking ranking, int offset) {
        List<int[]> groups = new ArrayList<>();
        for (int[] group : ranking.groups()) {
            int[] shifted = new int[group.length];
            for (int i = 0; i < group.length; i++) {
                shifted[i] = group[i] + offset;
            }
            groups.add(shifted);
        }
        return new Ranking(groups);
    }

    /**
     * Splits rankings by prompt, so that no held-out prompt is seen in training: a seeded shuffle of
     * the distinct prompts, the first {@code fraction} of them held out.
     *
     * @return [train, held out]
     */
    public static List<List<RankedResponses>> splitByPrompt(List<RankedResponses> data, double fraction, long seed) {
        List<String> prompts = new ArrayList<>(new LinkedHashSet<>(data.stream().map(RankedResponses::prompt).toList()));
        Collections.shuffle(prompts, new Random(seed));
        int held = (int) Math.floor(prompts.size() * fraction);
        Set<String> heldOut = Set.copyOf(prompts.subList(0, held));
        List<RankedResponses> train = new ArrayList<>();
        List<RankedResponses> eval = new ArrayList<>();
        for (RankedResponses r : data) {
            (heldOut.contains(r.prompt()) ? eval : train).add(r);
        }
        return List.of(train, eval);
    }
}
