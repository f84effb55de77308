package dev.rlhf.trainer.sft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Scalars;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.DataCursor;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.LearningRateSchedule;
import dev.rlhf.trainer.training.Lora;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.training.ResumeState;
import dev.rlhf.trainer.training.Seeds;
import dev.rlhf.trainer.training.StepListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Supervised fine-tuning: prompt-masked next-token loss, AdamW, warmup + cosine schedule, gradient
 * clipping and accumulation, periodic evaluation with early stopping, frozen layers or LoRA, and
 * checkpoints that resume exactly (weights, optimizer moments, step, data position).
 *
 * <p>Output: {@code <out>/model} (the final model, adapters merged) and {@code <out>/resume}
 * (the latest resumable state).
 */
public final class SftTrainer {

    public static final String PHASE = "sft";
    private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");
    private static final String MODEL = "model";
    private static final String LORA = "lora";
    private static final String TRAIN_DATA = "train";

    /** What a run achieved. */
    public record Result(int steps, double lastTrainLoss, double lastEvalLoss, boolean stoppedEarly, Path model) {}


    private final LoadedModel loaded;
    private final LlamaModel model;
    private final SftConfig config;
    private final MetricsSink metrics;
    private StepListener listener = StepListener.NONE;

    public SftTrainer(LoadedModel loaded, SftConfig config, MetricsSink metrics) {
        this.loaded = loaded;
        this.model = loaded.model();
        this.config = config;
        this.metrics = metrics;
    }

    public SftTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    /**
     * Trains on {@code train}, evaluating on {@code eval} (or a held-out share of {@code train} when
     * null), and writes to {@code out}. With {@code resume}, continues from {@code out/resume}.
     */
    public Result train(List<SftExample> train, List<SftExample> eval, Path out, boolean resume) throws IOException {
        List<SftExample> trainSet = new ArrayList<>(train);
        List<SftExample> evalSet = eval;
        if (evalSet == null) {
            Collections.shuffle(trainSet, new Random(config.seed()));
            int held = (int) Math.floor(trainSet.size() * config.evalFraction());
            evalSet = new ArrayList<>(trainSet.subList(0, held));
            trainSet = new ArrayList<>(trainSet.subList(held, trainSet.size()));
        }
        List<TokenizedExample> trainTokens = tokenize(trainSet);
        List<TokenizedExample> evalTokens = tokenize(evalSet);
        if (trainTokens.isEmpty()) {
            throw new IllegalArgumentException("no training example has completion tokens left after truncation");
        }
        int stepsPerEpoch = (int) Math.ceil(trainTokens.size() / (double) (config.batchSize() * config.gradientAccumulation()));
        int totalSteps = config.maxSteps() > 0 ? config.maxSteps() : stepsPerEpoch * config.epochs();
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(),
                Math.round(config.warmupRatio() * totalSteps), totalSteps, config.minLrRatio());

        Lora lora = null;
        Map<String, NDArray> trainable;
        if (config.lora().enabled()) {
            model.setTrainable(name -> false);
            lora = new Lora(model, config.lora(), config.seed());
            trainable = lora.parameters();
        } else {
            Predicate<String> learn = name -> !frozen(name);
            model.setTrainable(learn);
            trainable = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (learn.test(e.getKey())) {
                    trainable.put(e.getKey(), e.getValue());
                }
            }
        }
        State state = new State();
        DataCursor<TokenizedExample> batches = new DataCursor<>(trainTokens, new Seeds(config.seed()).supervisedOrder());
        try (AdamW optimizer = new AdamW(trainable, config.optimizer(), model.manager())) {
            Path resumeDir = out.resolve("resume");
            Optional<ResumeState> saved = resume ? ResumeState.read(resumeDir, config.seed()) : Optional.empty();
            if (saved.isPresent()) {
                state = restore(saved.get(), optimizer, batches, lora);
            }
            double lastLoss = Double.NaN;
            boolean stoppedEarly = false;
            listener.beforeFirstStep(totalSteps);
            while (state.step < totalSteps) {
                int step = state.step + 1;
                double loss = 0;
                long tokens = 0;
                for (int micro = 0; micro < config.gradientAccumulation(); micro++) {
                    List<TokenizedExample> batch = batches.nextBatch(config.batchSize());
                    try (NDManager scope = model.manager().newSubManager();
                         GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray microLoss = Scalars.dividedBy(SftLoss.meanNll(model, batch, scope), config.gradientAccumulation());
                        collector.backward(microLoss);
                        loss += microLoss.getFloat();
                    }
                    tokens += batch.stream().mapToLong(TokenizedExample::lossTokens).sum();
                }
                float gradNorm = Gradients.clipGlobalNorm(trainable.values(), config.maxGradNorm(), model.manager());
                float lr = schedule.at(step);
                optimizer.step(lr);
                state.step = step;
                lastLoss = loss;
                Map<String, Double> values = new LinkedHashMap<>();
                values.put("loss", loss);
                values.put("learning_rate", (double) lr);
                values.put("grad_norm", (double) gradNorm);
                values.put("epoch", batches.epochProgress());
                values.put("num_tokens", (double) tokens);

                boolean last = step == totalSteps;
                if (!evalTokens.isEmpty() && ((config.evalEvery() > 0 && step % config.evalEvery() == 0) || last)) {
                    double evalLoss = evaluate(evalTokens);
                    state.lastEvalLoss = evalLoss;
                    values.put("eval_loss", evalLoss);
                    values.put("eval_perplexity", Math.exp(evalLoss));
                    if (evalLoss < state.bestEvalLoss - 1e-6) {
                        state.bestEvalLoss = evalLoss;
                        state.evalsWithoutImprovement = 0;
                    } else {
                        state.evalsWithoutImprovement++;
                    }
                    stoppedEarly = config.earlyStoppingPatience() > 0
                            && state.evalsWithoutImprovement >= config.earlyStoppingPatience();
                }
                metrics.record(PHASE, step, values); // one record per optimizer step, evaluation included
                listener.afterStep(step, totalSteps, tokens);
                if (last || stoppedEarly || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0)) {
                    save(resumeDir, state, optimizer, batches, lora);
                }
                if (stoppedEarly) {
                    break;
                }
            }
            if (lora != null) {
                lora.merge();
                lora.close();
            }
            Path modelDir = out.resolve("model");
            ModelCheckpoint.save(model, loaded.tokenizer(), modelDir,
                    Map.of("phase", PHASE, "steps", Integer.toString(state.step)));
            return new Result(state.step, lastLoss, state.lastEvalLoss, stoppedEarly, modelDir);
        }
    }

    /** Mean completion-token NLL over {@code examples}, without gradients. */
    public double evaluate(List<TokenizedExample> examples) {
        double nll = 0;
        double count = 0;
        for (int from = 0; from < examples.size(); from += config.batchSize()) {
            List<TokenizedExample> batch = examples.subList(from, Math.min(from + config.batchSize(), examples.size()));
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray[] sums = SftLoss.nllSum(model, batch, scope);
                nll += sums[0].getFloat();
                count += sums[1].getFloat();
            }
        }
        return nll / count;
    }

    public List<TokenizedExample> tokenize(List<SftExample> examples) {
        int maxLength = config.maxSeqLen() > 0 ? Math.min(config.maxSeqLen(), model.config().maxSeqLen())
                : model.config().maxSeqLen();
        List<TokenizedExample> out = new ArrayList<>();
        for (SftExample e : examples) {
            TokenizedExample t = TokenizedExample.of(e, loaded.tokenizer(), maxLength, config.appendEos());
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private boolean frozen(String name) {
        if (name.startsWith("value_head.")) {
            return true;
        }
        if (config.freezeLayers() == 0) {
            return false;
        }
        if (name.equals(LlamaModel.EMBEDDING)) {
            return true;
        }
        Matcher m = LAYER.matcher(name);
        return m.find() && Integer.parseInt(m.group(1)) < config.freezeLayers();
    }

    // ---------------------------------------------------------------- state

    /** Where training stands besides the weights, optimizer and data cursor. */
    private static final class State {
        int step;
        double bestEvalLoss = Double.POSITIVE_INFINITY;
        double lastEvalLoss = Double.NaN;
        int evalsWithoutImprovement;
    }

    private void save(Path dir, State state, AdamW optimizer, DataCursor<TokenizedExample> batches, Lora lora)
            throws IOException {
        ResumeState.save(dir, config.seed(), saved -> {
            saved.model(MODEL, model, loaded.tokenizer(), Map.of("phase", PHASE, "step", Integer.toString(state.step)));
            saved.optimizer(MODEL, optimizer);
            if (lora != null) {
                saved.tensors(LORA, lora.parameters());
            }
            saved.cursor(TRAIN_DATA, batches);
            ObjectNode json = saved.counters();
            json.put("step", state.step);
            if (Double.isFinite(state.bestEvalLoss)) {
                json.put("bestEvalLoss", state.bestEvalLoss);
            }
            if (Double.isFinite(state.lastEvalLoss)) {
                json.put("lastEvalLoss", state.lastEvalLoss);
            }
            json.put("evalsWithoutImprovement", state.evalsWithoutImprovement);
        });
    }

    private State restore(ResumeState saved, AdamW optimizer, DataCursor<TokenizedExample> batches, Lora lora)
            throws IOException {
        saved.loadModel(MODEL, model);
        if (lora != null) {
            saved.loadTensors(LORA, lora.parameters(), model.manager());
        }
        saved.loadOptimizer(MODEL, optimizer, model.manager());
        saved.restoreCursor(TRAIN_DATA, batches);
        JsonNode json = saved.counters();
        State state = new State();
        state.step = json.path("step").asInt();
        state.bestEvalLoss = json.path("bestEvalLoss").asDouble(Double.POSITIVE_INFINITY);
        state.lastEvalLoss = json.path("lastEvalLoss").asDouble(Double.NaN);
        state.evalsWithoutImprovement = json.path("evalsWithoutImprovement").asInt();
        return state;
    }
}
