package dev.rlhf.trainer.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.align.PolicyUpdates;
import dev.rlhf.trainer.align.data.RankedResponses.PreferencePair;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.loss.PolicyLogprobs;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.DataCursor;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.training.Seeds;
import dev.rlhf.trainer.training.StepListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Direct preference optimisation (sigmoid, conservative via label smoothing, or IPO; {@link DpoLoss})
 * of a policy on preference pairs. The reference is the initial policy, or the model given to
 * {@link #withReference} (the loop anchors every round to the SFT policy while the policy starts from
 * the latest healthy version): its log-probabilities of
 * every chosen and rejected response are computed once, in one pass over the data before the first
 * update, and kept as plain numbers, so only the policy is held in memory while training (TRL's
 * {@code precompute_ref_log_probs}). The trained policy goes to {@code <out>/model}.
 *
 * <p>Metrics per optimizer step ({@code phase} "dpo"), of the step's minibatch before its update:
 * {@code loss}, {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/accuracies},
 * {@code rewards/margins}, {@code logps/chosen}, {@code logps/rejected}, with {@code learning_rate}
 * and {@code grad_norm}.
 */
public final class DpoTrainer {

    public static final String PHASE = "dpo";

    /** What a run achieved. */
    public record Result(int steps, Map<String, Double> lastMetrics, Path model) {}


    /** A pair tokenized, with its position in the reference log-probability table. */
    private record TokenizedPair(int index, TokenizedResponse chosen, TokenizedResponse rejected) {}

    private final LoadedModel loaded;
    private final LlamaModel policy;
    private final DpoConfig config;
    private final MetricsSink metrics;
    private StepListener listener = StepListener.NONE;
    private LoadedModel reference;

    public DpoTrainer(LoadedModel loaded, DpoConfig config, MetricsSink metrics) {
        this.loaded = loaded;
        this.policy = loaded.model();
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * The reference model of the DPO loss, when it is not the initial policy (e.g. the SFT policy of
     * an iterative loop). It must share the policy's tokenizer; it is read once, before the first update.
     */
    public DpoTrainer withReference(LoadedModel referenceModel) {
        PolicyUpdates.checkReference(policy, referenceModel);
        this.reference = referenceModel;
        return this;
    }

    public DpoTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    public Result train(List<PreferencePair> pairs, Path out) throws IOException {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no preference pairs to train on");
        }
        int maxLength = Math.min(config.maxLength(), policy.config().maxSeqLen());
        List<TokenizedPair> data = new ArrayList<>();
        for (PreferencePair p : pairs) {
            data.add(new TokenizedPair(data.size(), TokenizedResponse.of(p.prompt(), p.chosen(), loaded.tokenizer(), maxLength),
                    TokenizedResponse.of(p.prompt(), p.rejected(), loaded.tokenizer(), maxLength)));
        }
        policy.setTrainable(name -> false);
        float[][] reference = config.referenceFree() ? null
                : referenceLogprobs(this.reference == null ? policy : this.reference.model(), data); // [chosen, rejected][pair]

        DataCursor<TokenizedPair> batches = new DataCursor<>(data, new Seeds(config.seed()).supervisedOrder());
        int totalSteps = config.maxSteps() > 0 ? config.maxSteps() : batches.batchesPerEpoch(config.batchSize()) * config.epochs();
        listener.beforeFirstStep(totalSteps);
        Map<String, Double> last = Map.of();
        try (PolicyUpdates updates = new PolicyUpdates(policy, config.learningRate(), config.warmupRatio(), totalSteps, config.maxGradNorm())) {
            for (int step = 1; step <= totalSteps; step++) {
                List<TokenizedPair> batch = batches.nextBatch(config.batchSize());
                PolicyUpdates.Step done = updates.step(step, scope -> {
                    NDArray[] logps = sequenceLogprobs(policy, batch, scope); // [chosen, rejected]
                    NDArray refChosen = null;
                    NDArray refRejected = null;
                    if (reference != null) {
                        float[] c = new float[batch.size()];
                        float[] r = new float[batch.size()];
                        for (int i = 0; i < batch.size(); i++) {
                            c[i] = reference[0][batch.get(i).index()];
                            r[i] = reference[1][batch.get(i).index()];
                        }
                        refChosen = scope.create(c).toType(logps[0].getDataType(), false);
                        refRejected = scope.create(r).toType(logps[0].getDataType(), false);
                    }
                    return DpoLoss.compute(logps[0], logps[1], refChosen, refRejected, config);
                });
                last = Map.copyOf(done.lossMetrics());
                Map<String, Double> values = done.all();
                values.put("epoch", batches.epochProgress());
                metrics.record(PHASE, step, values);
                listener.afterStep(step, totalSteps, batch.size());
            }
        }
        Path modelDir = out.resolve("model");
        ModelCheckpoint.save(policy, loaded.tokenizer(), modelDir, Map.of("phase", PHASE, "steps", Integer.toString(totalSteps),
                "dpo_loss", config.lossType().cliName(), "dpo_beta", Double.toString(config.beta())));
        return new Result(totalSteps, last, modelDir);
    }

    /**
     * The reference's log-probabilities of every chosen and rejected response, in one pass without
     * gradients, kept as Java arrays so no tensor outlives its batch.
     */
    private float[][] referenceLogprobs(LlamaModel referenceModel, List<TokenizedPair> data) {
        List<TokenizedResponse> rows = new ArrayList<>(data.size() * 2);
        data.forEach(p -> rows.add(p.chosen()));
        data.forEach(p -> rows.add(p.rejected()));
        float[] all = PolicyLogprobs.constants(referenceModel, rows, Math.max(config.batchSize(), 8) * 2, config.lengthNormalized());
        return new float[][] {Arrays.copyOfRange(all, 0, data.size()), Arrays.copyOfRange(all, data.size(), all.length)};
    }

    /**
     * Log-probabilities [B] of the chosen and the rejected responses under the policy, from one
     * forward pass over 2B right-padded rows; summed over response tokens, or averaged for IPO.
     */
    private NDArray[] sequenceLogprobs(LlamaModel model, List<TokenizedPair> batch, NDManager scope) {
        List<TokenizedResponse> rows = new ArrayList<>(batch.size() * 2);
        batch.forEach(p -> rows.add(p.chosen()));
        batch.forEach(p -> rows.add(p.rejected()));
        NDArray perSequence = PolicyLogprobs.of(model, rows, scope, config.lengthNormalized());
        int b = batch.size();
        return new NDArray[] {perSequence.get("0:" + b), perSequence.get(b + ":")};
    }
}
