package dev.rlhf.trainer.align.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.sft.TokenizedExample;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.ResumeState;
import dev.rlhf.trainer.training.Seeds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.rlhf.trainer.align.ppo.Rollout.rowsOf;

/**
 * The PPO optimisation of a {@link Rollout} (OpenRLHF's actor and critic training steps): the actor
 * and the critic, every parameter trainable, each with its own AdamW. Owns the optimizers; its
 * resumable part is both models and both optimizers. Without a critic (the RLOO and GRPO
 * advantages) only the actor and its optimizer exist, and no value metrics are emitted.
 */
final class PpoUpdate implements AutoCloseable {

    private static final String ACTOR = "actor";
    private static final String CRITIC = "critic";

    private final PpoModels models;
    private final LlamaModel actor;
    private final LlamaModel critic;
    private final PpoRunConfig run;
    private final PpoConfig config;
    private final Seeds seeds;
    private final Map<String, NDArray> actorParams;
    private final Map<String, NDArray> criticParams;
    private final AdamW actorOptimizer;
    private final AdamW criticOptimizer;

    PpoUpdate(PpoModels models, PpoRunConfig run) {
        this.models = models;
        this.actor = models.actor();
        this.critic = models.critic();
        this.run = run;
        this.config = run.ppo();
        this.seeds = new Seeds(config.seed());
        actor.setTrainable(name -> true);
        this.actorParams = new LinkedHashMap<>(actor.parameters());
        this.actorOptimizer = new AdamW(actorParams, run.optimizer(), actor.manager());
        if (critic == null) {
            this.criticParams = null;
            this.criticOptimizer = null;
            return;
        }
        critic.setTrainable(name -> true);
        this.criticParams = new LinkedHashMap<>(critic.parameters());
        AdamW criticAdam;
        try {
            criticAdam = new AdamW(criticParams, run.optimizer(), critic.manager());
        } catch (RuntimeException e) {
            actorOptimizer.close();
            throw e;
        }
        this.criticOptimizer = criticAdam;
    }

    /**
     * One optimizer step of the actor (clipped policy loss, plus ptx-coef times the LM loss of
     * {@code ptxBatch} when given) and of the critic (clipped value loss) on the minibatch
     * {@code rows} of {@code r}; returns its metrics.
     */
    Map<String, Double> step(Rollout r, int[] rows, List<TokenizedExample> ptxBatch) {
        Map<String, Double> values = new LinkedHashMap<>();
        int time = r.time();
        try (NDManager step = actor.manager().newSubManager()) {
            NDArray t = rowsOf(step, r.tokens(), r.width(), rows, DataType.INT64);
            NDArray km = rowsOf(step, r.keyMask(), r.width(), rows, DataType.FLOAT32);
            NDArray rt = rowsOf(step, r.responseTokens(), r.width(), rows, DataType.FLOAT32);
            NDArray mask = rowsOf(step, r.mask(), time, rows, DataType.FLOAT32);
            NDArray oldLogp = rowsOf(step, r.oldLogp(), time, rows, DataType.FLOAT32);
            NDArray advantages = rowsOf(step, r.advantages(), time, rows, DataType.FLOAT32);
            LossOutput actorLoss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = RolloutMaker.atTemperature(actor.logits(actor.hiddenStates(t, km, null, null)), run.temperature());
                NDArray logp = SequenceLogprobs.ofSequence(logits, t, rt).perToken();
                LossOutput policy = PolicyLoss.compute(logp, oldLogp, advantages, mask, config.clipRange(),
                        config.lossNormalizer(), config.maxNewTokens());
                NDArray ptxLoss = ptxBatch == null ? null : ptxLoss(step, ptxBatch);
                actorLoss = ActorLoss.combine(policy, ptxLoss, config.ptxCoef());
                collector.backward(actorLoss.loss());
            }
            values.putAll(actorLoss.metrics());
        }
        values.put("policy/grad_norm", (double) Gradients.clipGlobalNorm(actorParams.values(), run.maxGradNorm(), actor.manager()));
        actorOptimizer.step((float) config.actorLearningRate());
        if (critic == null) {
            return values;
        }

        try (NDManager step = critic.manager().newSubManager()) {
            NDArray t = rowsOf(step, r.tokens(), r.width(), rows, DataType.INT64);
            NDArray km = rowsOf(step, r.keyMask(), r.width(), rows, DataType.FLOAT32);
            NDArray mask = rowsOf(step, r.mask(), time, rows, DataType.FLOAT32);
            NDArray oldValues = rowsOf(step, r.oldValues(), time, rows, DataType.FLOAT32);
            NDArray returns = rowsOf(step, r.returns(), time, rows, DataType.FLOAT32);
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

    /**
     * The rows of minibatch {@code miniBatch} in epoch {@code epoch} of rollout {@code rollout}: in
     * order in the first epoch (the grouping the rollout's forward passes used), shuffled after.
     */
    int[] miniBatchRows(int rows, int rollout, int epoch, int miniBatch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            order.add(i);
        }
        if (epoch > 0) {
            Collections.shuffle(order, new Random(seeds.of(Seeds.Purpose.MINIBATCH_ORDER, rollout * 1_000L + epoch)));
        }
        int size = config.miniBatchSize();
        int[] picked = new int[size];
        for (int i = 0; i < size; i++) {
            picked[i] = order.get(miniBatch * size + i);
        }
        return picked;
    }

    /** Saves both models and both optimizers. */
    void writeTo(ResumeState.Writer saved, Map<String, String> metadata) throws IOException {
        saved.model(ACTOR, actor, models.tokenizer(), metadata);
        saved.optimizer(ACTOR, actorOptimizer);
        if (critic != null) {
            saved.model(CRITIC, critic, models.tokenizer(), metadata);
            saved.optimizer(CRITIC, criticOptimizer);
        }
    }

    void restore(ResumeState saved) throws IOException {
        saved.loadModel(ACTOR, actor);
        saved.loadOptimizer(ACTOR, actorOptimizer, actor.manager());
        if (critic != null) {
            saved.loadModel(CRITIC, critic);
            saved.loadOptimizer(CRITIC, criticOptimizer, critic.manager());
        }
    }

    @Override
    public void close() {
        try {
            if (criticOptimizer != null) {
                criticOptimizer.close();
            }
        } finally {
            actorOptimizer.close();
        }
    }
}
