package dev.rlhf.trainer.align.kto;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.align.PolicyUpdates;
import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.loss.LossOutput;
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
import java.util.List;
import java.util.Map;

/**
 * Kahneman-Tversky optimisation ({@link KtoLoss}) of a policy on unpaired desirable/undesirable completions.
 * Every step's batch also gives the KL reference point z0: each prompt of the batch paired with the completion
 * of another example of the same batch (the nearest earlier one with a different prompt, cyclically: TRL cycles
 * completions by one within the batch), scored by policy and reference. The batches are drawn before training,
 * so the reference's log-probabilities of every matched and mismatched pair are computed in one pass before the
 * first update and kept as plain numbers: only the policy is held while training (TRL's
 * {@code precompute_ref_log_probs}). The reference is the initial policy, or the model given to
 * {@link #withReference}. With {@link KtoConfig#balanceWeights()} the rarer label's weight is scaled by the data's
 * counts ({@link KtoConfig#effectiveWeights}). The trained policy goes to {@code <out>/model}.
 *
 * <p>Metrics per optimizer step ({@code phase} "kto"), of the step's batch before its update: {@link KtoLoss}'s
 * ({@code loss}, {@code kl}, {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/margins},
 * {@code logps/chosen}, {@code logps/rejected}, {@code count/chosen}, {@code count/rejected}) with
 * {@code learning_rate}, {@code grad_norm} and {@code epoch}.
 */
public final class KtoTrainer {

    public static final String PHASE = "kto";

    /** What a run achieved. */
    public record Result(int steps, Map<String, Double> lastMetrics, Path model) {}


    /** An example tokenized, with its position in the reference table. */
    private record Tokenized(int index, KtoExample example, TokenizedResponse row) {}

    /** One step's examples, their mismatched pairs, and where their reference log-probabilities are. */
    private record Batch(List<Tokenized> examples, List<TokenizedResponse> mismatched, int mismatchedFrom) {}

    private final LoadedModel loaded;
    private final LlamaModel policy;
    private final KtoConfig config;
    private final MetricsSink metrics;
    private StepListener listener = StepListener.NONE;
    private LoadedModel reference;

    public KtoTrainer(LoadedModel loaded, KtoConfig config, MetricsSink metrics) {
        this.loaded = loaded;
        this.policy = loaded.model();
        this.config = config;
        this.metrics = metrics;
    }

    /** The reference model, when it is not the initial policy (the loop's SFT policy); it must share the policy's tokenizer. */
    public KtoTrainer withReference(LoadedModel referenceModel) {
        PolicyUpdates.checkReference(policy, referenceModel);
        this.reference = referenceModel;
        return this;
    }

    public KtoTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    public Result train(List<KtoExample> examples, Path out) throws IOException {
        if (examples.size() < 2) {
            throw new IllegalArgumentException("KTO needs at least 2 examples (the KL reference point pairs each prompt with another"
                    + " example's completion), got " + examples.size());
        }
        long desirableCount = examples.stream().filter(KtoExample::desirable).count();
        double[] weights = config.effectiveWeights(desirableCount, examples.size() - desirableCount);
        KtoConfig lossConfig = config.withDesirableWeight(weights[0]).withUndesirableWeight(weights[1]);
        int maxLength = Math.min(config.maxLength(), policy.config().maxSeqLen());
        List<Tokenized> data = new ArrayList<>();
        for (KtoExample e : examples) {
            data.add(new Tokenized(data.size(), e, TokenizedResponse.of(e.prompt(), e.completion(), loaded.tokenizer(), maxLength)));
        }
        DataCursor<Tokenized> cursor = new DataCursor<>(data, new Seeds(config.seed()).supervisedOrder());
        int totalSteps = config.maxSteps() > 0 ? config.maxSteps() : cursor.batchesPerEpoch(config.batchSize()) * config.epochs();
        // The batches, drawn up front so the reference scores every mismatched pair once before training.
        List<Batch> batches = new ArrayList<>(totalSteps);
        List<Double> epochs = new ArrayList<>(totalSteps);
        List<TokenizedResponse> referenceRows = new ArrayList<>();
        data.forEach(t -> referenceRows.add(t.row()));
        for (int step = 0; step < totalSteps; step++) {
            List<Tokenized> batch = cursor.nextBatch(config.batchSize());
            epochs.add(cursor.epochProgress());
            List<TokenizedResponse> mismatched = mismatched(batch, maxLength);
            batches.add(new Batch(batch, mismatched, referenceRows.size()));
            referenceRows.addAll(mismatched);
        }
        policy.setTrainable(name -> false);
        LlamaModel referenceModel = reference == null ? policy : reference.model();
        float[] referenceLogps = PolicyLogprobs.constants(referenceModel, referenceRows, Math.max(config.batchSize(), 8) * 2, false);

        listener.beforeFirstStep(totalSteps);
        Map<String, Double> last = Map.of();
        try (PolicyUpdates updates = new PolicyUpdates(policy, config.learningRate(), config.warmupRatio(), totalSteps, config.maxGradNorm())) {
            for (int step = 1; step <= totalSteps; step++) {
                Batch batch = batches.get(step - 1);
                int b = batch.examples().size();
                // z0 from the policy's current log-probabilities of the mismatched pairs, without gradients (TRL: torch.no_grad()).
                double z0;
                try (NDManager scope = policy.manager().newSubManager()) {
                    NDArray policyMismatched = PolicyLogprobs.of(policy, batch.mismatched(), scope, false);
                    float[] ref = new float[b];
                    System.arraycopy(referenceLogps, batch.mismatchedFrom(), ref, 0, b);
                    z0 = KtoLoss.referencePoint(policyMismatched, scope.create(ref));
                }
                boolean[] desirable = new boolean[b];
                float[] ref = new float[b];
                List<TokenizedResponse> rows = new ArrayList<>(b);
                for (int i = 0; i < b; i++) {
                    Tokenized t = batch.examples().get(i);
                    desirable[i] = t.example().desirable();
                    ref[i] = referenceLogps[t.index()];
                    rows.add(t.row());
                }
                double referencePoint = z0;
                PolicyUpdates.Step done = updates.step(step, scope -> {
                    NDArray logps = PolicyLogprobs.of(policy, rows, scope, false);
                    LossOutput loss = KtoLoss.compute(logps, scope.create(ref).toType(logps.getDataType(), false), desirable,
                            referencePoint, lossConfig);
                    return loss;
                });
                last = Map.copyOf(done.lossMetrics());
                Map<String, Double> values = done.all();
                values.put("epoch", epochs.get(step - 1));
                metrics.record(PHASE, step, values);
                listener.afterStep(step, totalSteps, b);
            }
        }
        Path modelDir = out.resolve("model");
        ModelCheckpoint.save(policy, loaded.tokenizer(), modelDir, Map.of("phase", PHASE, "steps", Integer.toString(totalSteps),
                "kto_beta", Double.toString(config.beta()), "kto_desirable_weight", Double.toString(weights[0]),
                "kto_undesirable_weight", Double.toString(weights[1])));
        return new Result(totalSteps, last, modelDir);
    }

    /**
     * The batch's mismatched pairs: example i's prompt with the completion of the nearest earlier example of the
     * batch (cyclically) whose prompt differs, or of example i - 1 when every prompt is the same.
     */
    private List<TokenizedResponse> mismatched(List<Tokenized> batch, int maxLength) {
        int b = batch.size();
        List<TokenizedResponse> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            KtoExample e = batch.get(i).example();
            int other = Math.floorMod(i - 1, b);
            for (int back = 1; back < b; back++) {
                int j = Math.floorMod(i - back, b);
                if (!batch.get(j).example().prompt().equals(e.prompt())) {
                    other = j;
                    break;
                }
            }
            out.add(TokenizedResponse.of(e.prompt(), batch.get(other).example().completion(), loaded.tokenizer(), maxLength));
        }
        return out;
    }
}
