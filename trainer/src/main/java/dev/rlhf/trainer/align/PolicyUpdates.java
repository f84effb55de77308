package dev.rlhf.trainer.align;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Gradients;
import dev.rlhf.trainer.training.LearningRateSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The optimizer steps of an offline policy trainer (DPO, KTO): every weight but a value head trainable,
 * AdamW (betas 0.9, 0.95, no weight decay: TRL DPOConfig/KTOConfig), linear warmup then cosine decay to 10%,
 * global gradient-norm clipping. Closing it frees the optimizer state and freezes the policy again.
 */
public final class PolicyUpdates implements AutoCloseable {

    /** One step's loss metrics (before its update), and the learning rate and gradient norm it used. */
    public record Step(Map<String, Double> lossMetrics, float learningRate, float gradNorm) {

        /** The loss metrics with {@code learning_rate} and {@code grad_norm}. */
        public Map<String, Double> all() {
            Map<String, Double> values = new LinkedHashMap<>(lossMetrics);
            values.put("learning_rate", (double) learningRate);
            values.put("grad_norm", (double) gradNorm);
            return values;
        }
    }

    private final LlamaModel policy;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final LearningRateSchedule schedule;
    private final float maxGradNorm;
    private final AdamW optimizer;

    public PolicyUpdates(LlamaModel policy, double learningRate, double warmupRatio, int totalSteps, double maxGradNorm) {
        this.policy = policy;
        policy.setTrainable(name -> !name.startsWith("value_head."));
        policy.parameters().forEach((name, p) -> {
            if (!name.startsWith("value_head.")) {
                trainable.put(name, p);
            }
        });
        this.schedule = new LearningRateSchedule((float) learningRate, (int) Math.round(warmupRatio * totalSteps), totalSteps, 0.1f);
        this.maxGradNorm = (float) maxGradNorm;
        this.optimizer = new AdamW(trainable, new AdamW.Settings(0.9f, 0.95f, 1e-8f, 0f), policy.manager());
    }

    /**
     * Checks that a frozen reference model (DPO's, KTO's; null: none) scores the policy's tokens: its
     * vocabulary must be the policy's.
     */
    public static void checkReference(LlamaModel policy, LoadedModel reference) {
        if (reference != null && reference.model().config().vocabSize() != policy.config().vocabSize()) {
            throw new IllegalArgumentException("the reference model's vocabulary (" + reference.model().config().vocabSize()
                    + ") differs from the policy's (" + policy.config().vocabSize() + ")");
        }
    }

    /** Step {@code step} (from 1): the loss built in a fresh scope while gradients are recorded, back-propagated, clipped, applied. */
    public Step step(int step, Function<NDManager, LossOutput> loss) {
        Map<String, Double> values;
        try (NDManager scope = policy.manager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            LossOutput out = loss.apply(scope);
            collector.backward(out.loss());
            values = out.metrics();
        }
        float gradNorm = Gradients.clipGlobalNorm(trainable.values(), maxGradNorm, policy.manager());
        float lr = schedule.at(step);
        optimizer.step(lr);
        return new Step(values, lr, gradNorm);
    }

    @Override
    public void close() {
        optimizer.close();
        policy.setTrainable(name -> false);
    }
}
