package dev.rlhf.trainer.align.ppo;

import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.sft.TokenizedExample;
import dev.rlhf.trainer.training.DataCursor;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.training.ResumeState;
import dev.rlhf.trainer.training.Seeds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * PPO with a per-token KL penalty against the SFT policy and optional pretraining mix (PPO-ptx),
 * as InstructGPT, TRL and OpenRLHF run it. Each rollout: {@link RolloutMaker} samples
 * {@code batch-size} responses and makes the {@link Rollout} (rewards, advantages, returns); then
 * {@code ppo-epochs} passes over it in {@code num-mini-batches} minibatches, each a {@link PpoUpdate}
 * step of the actor and the critic; then the KL controller is updated.
 *
 * <p>Exactness: the first epoch visits the rollout in order, in the row groups its forward passes
 * used, so step 1 sees the same log-probabilities and values bit for bit (ratio 1, approxkl 0, clip
 * fractions 0); later epochs shuffle. Every random choice is a function of the seed and counters
 * ({@link Seeds}: rollout index, epoch, data epoch), and the {@link ResumeState} holds those
 * counters, the prompt and ptx {@link DataCursor} positions, both models, both optimizers, the KL
 * controller and, when a run stops in the middle of a rollout, the rollout itself; resuming continues
 * exactly as an uninterrupted run would.
 *
 * <p>Memory: every forward pass and update runs in its own sub-manager, closed before the next;
 * the rollout lives in host arrays between steps, so nothing grows with the number of steps.
 *
 * <p>Advantages ({@link PpoConfig#advantage()}): GAE with the critic, as above; or the critic-free
 * RLOO and GRPO, whose rollouts give each response one advantage against the other samples of its
 * prompt, and whose steps update the actor alone (no critic, value loss or value metrics).
 *
 * <p>Output: {@code <out>/model} (the trained actor), {@code <out>/critic} (GAE only) and {@code <out>/resume}.
 */
public final class PpoTrainer {

    public static final String PHASE = "ppo";
    private static final String PROMPTS = "prompts";
    private static final String PTX = "ptx";

    /**
     * What a run achieved, and how fast (wall clock, this process's share of the run; not in the
     * metrics, which stay reproducible).
     *
     * @param rolloutTokensPerSecond response tokens sampled per second of rollout (sampling with the
     *                               KV cache, the models' forward passes, scoring, advantages)
     * @param secondsPerUpdate       mean time of one optimizer step (actor and critic; the actor alone without a critic)
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
        if (config.advantage().needsCritic() != models.hasCritic()) {
            throw new IllegalArgumentException("advantage " + config.advantage() + (models.hasCritic()
                    ? " needs no critic, but one was loaded" : " needs a critic (a reward model with a value head to start it from)"));
        }
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
        Seeds seeds = new Seeds(config.seed());
        DataCursor<String> promptCursor = new DataCursor<>(prompts, seeds.order(Seeds.Purpose.PROMPT_ORDER));
        DataCursor<TokenizedExample> ptxCursor = ptxTokens.isEmpty() ? null
                : new DataCursor<>(ptxTokens, seeds.order(Seeds.Purpose.PTX_ORDER));
        RolloutMaker rollouts = new RolloutMaker(models, run);
        State state = new State(KlController.of(config));
        Map<String, Double> last = Map.of();
        long rolloutNanos = 0;
        long rolloutTokens = 0;
        long updateNanos = 0;
        int updates = 0;
        try (PpoUpdate update = new PpoUpdate(models, run)) {
            Path resumeDir = out.resolve("resume");
            Optional<ResumeState> saved = resume ? ResumeState.read(resumeDir, config.seed()) : Optional.empty();
            if (saved.isPresent()) {
                state = restore(saved.get(), update, promptCursor, ptxCursor);
            }
            while (state.step < totalSteps) {
                if (state.rollout == null) {
                    long start = System.nanoTime();
                    state.rollout = rollouts.collect(promptCursor.next(run.promptsPerRollout()), state.rolloutIndex,
                            state.controller);
                    rolloutNanos += System.nanoTime() - start;
                    rolloutTokens += Math.round(state.rollout.metrics().get("response_length") * state.rollout.rows());
                    state.epoch = 0;
                    state.miniBatch = 0;
                }
                Rollout r = state.rollout;
                int[] rows = update.miniBatchRows(r.rows(), state.rolloutIndex, state.epoch, state.miniBatch);
                List<TokenizedExample> ptxBatch = ptxCursor == null ? null : ptxCursor.next(run.effectivePtxBatchSize());
                Map<String, Double> values = new LinkedHashMap<>(r.metrics());
                long start = System.nanoTime();
                values.putAll(update.step(r, rows, ptxBatch));
                updateNanos += System.nanoTime() - start;
                updates++;
                state.step++;
                boolean rolloutDone = state.advanceMiniBatch(config.numMiniBatches(), config.ppoEpochs());
                if (rolloutDone) {
                    state.controller = state.controller.update(r.metrics().get(TokenRewards.KL), config.rolloutBatchSize());
                    state.rollout = null;
                    state.rolloutIndex++;
                }
                metrics.record(PHASE, state.step, values);
                listener.afterStep(state.step, totalSteps, values);
                last = values;
                boolean end = state.step == totalSteps;
                if (end || (rolloutDone && run.checkpointEvery() > 0 && state.rolloutIndex % run.checkpointEvery() == 0)) {
                    save(resumeDir, state, update, promptCursor, ptxCursor);
                }
            }
            Path modelDir = out.resolve("model");
            Map<String, String> meta = Map.of("phase", PHASE, "steps", Integer.toString(state.step));
            ModelCheckpoint.save(actor, models.tokenizer(), modelDir, meta);
            if (critic != null) {
                ModelCheckpoint.save(critic, models.tokenizer(), out.resolve("critic"), meta);
            }
            return new Result(state.step, state.rolloutIndex, last, modelDir,
                    rolloutNanos == 0 ? Double.NaN : rolloutTokens / (rolloutNanos / 1e9),
                    updates == 0 ? Double.NaN : updateNanos / 1e9 / updates);
        }
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

    // ---------------------------------------------------------------- state

    /** Where the run stands besides the models, optimizers and data cursors. */
    private static final class State {
        int step;
        int rolloutIndex;
        int epoch;
        int miniBatch;
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

    private void save(Path dir, State state, PpoUpdate update, DataCursor<String> promptCursor,
                      DataCursor<TokenizedExample> ptxCursor) throws IOException {
        ResumeState.save(dir, config.seed(), saved -> {
            update.writeTo(saved, Map.of("phase", PHASE, "step", Integer.toString(state.step)));
            saved.cursor(PROMPTS, promptCursor);
            if (ptxCursor != null) {
                saved.cursor(PTX, ptxCursor);
            }
            ObjectNode json = saved.counters();
            json.put("step", state.step);
            json.put("rollout", state.rolloutIndex);
            json.put("epoch", state.epoch);
            json.put("miniBatch", state.miniBatch);
            saved.value("klController", state.controller);
            saved.value("config", config);
            if (state.rollout != null) {
                state.rollout.writeTo(saved, actor.manager());
            }
        });
    }

    private State restore(ResumeState saved, PpoUpdate update, DataCursor<String> promptCursor,
                          DataCursor<TokenizedExample> ptxCursor) throws IOException {
        PpoConfig savedConfig = saved.value("config", PpoConfig.class);
        if (savedConfig.rolloutBatchSize() != config.rolloutBatchSize() || savedConfig.numMiniBatches() != config.numMiniBatches()
                || savedConfig.ppoEpochs() != config.ppoEpochs() || savedConfig.advantage() != config.advantage()) {
            throw new IllegalArgumentException(saved.directory() + ": saved with batch-size " + savedConfig.rolloutBatchSize()
                    + ", " + savedConfig.numMiniBatches() + " minibatches and " + savedConfig.ppoEpochs()
                    + " PPO epochs and advantage " + savedConfig.advantage() + "; resume needs the same batching and advantage");
        }
        update.restore(saved);
        saved.restoreCursor(PROMPTS, promptCursor);
        if (ptxCursor != null) {
            saved.restoreCursor(PTX, ptxCursor);
        }
        JsonNode json = saved.counters();
        State state = new State(saved.value("klController", KlController.class));
        state.step = json.path("step").asInt();
        state.rolloutIndex = json.path("rollout").asInt();
        state.epoch = json.path("epoch").asInt();
        state.miniBatch = json.path("miniBatch").asInt();
        state.rollout = Rollout.pending(saved, actor.manager());
        return state;
    }
}
