package dev.rlhf.trainer.sft;

import static dev.rlhf.trainer.training.Checks.check;

import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Lora;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * Supervised fine-tuning hyperparameters.
 *
 * @param learningRate        peak learning rate (default 2e-5, TRL SFTConfig)
 * @param warmupRatio         fraction of steps of linear warmup (default 0.03, Stanford Alpaca)
 * @param minLrRatio          cosine decay floor as a fraction of the peak (default 0.1, nanoGPT/Chinchilla)
 * @param optimizer           AdamW settings (default betas 0.9/0.95, weight decay 0.1 on matrices only)
 * @param maxGradNorm         global gradient-norm clip (default 1.0, TRL/HF Trainer)
 * @param batchSize           sequences per micro-batch (default 8, TRL per_device_train_batch_size)
 * @param gradientAccumulation micro-batches per optimizer step (default 1, TRL)
 * @param epochs              passes over the data when maxSteps is 0 (default 3, TRL num_train_epochs)
 * @param maxSteps            optimizer steps; 0 = from epochs (default 0)
 * @param maxSeqLen           longest example in tokens, longer ones are truncated; 0 = the model's context (default 0)
 * @param evalEvery           evaluate every this many steps, and at the end; 0 = only at the end (default 50)
 * @param evalFraction        share of the data held out for evaluation when no eval set is given (default 0.1)
 * @param earlyStoppingPatience stop after this many evaluations without improvement; 0 = never (default 0, HF)
 * @param freezeLayers        number of lowest transformer blocks (with the embedding) kept frozen (default 0)
 * @param lora                LoRA adapters instead of full fine-tuning (default off)
 * @param checkpointEvery     write a resumable checkpoint every this many steps; 0 = only at the end (default 100)
 * @param appendEos           end each completion with the EOS token, so the model learns to stop (default true)
 * @param seed                data order and adapter initialisation (default 42)
 */
@RecordBuilder
public record SftConfig(
        float learningRate,
        float warmupRatio,
        float minLrRatio,
        AdamW.Settings optimizer,
        float maxGradNorm,
        int batchSize,
        int gradientAccumulation,
        int epochs,
        int maxSteps,
        int maxSeqLen,
        int evalEvery,
        float evalFraction,
        int earlyStoppingPatience,
        int freezeLayers,
        Lora.Settings lora,
        int checkpointEvery,
        boolean appendEos,
        long seed) implements SftConfigBuilder.With {

    public SftConfig {
        check(learningRate > 0, "lr must be > 0, got " + learningRate);
        check(warmupRatio >= 0 && warmupRatio < 1, "warmup-ratio must be in [0, 1), got " + warmupRatio);
        check(batchSize >= 1, "batch-size must be >= 1, got " + batchSize);
        check(gradientAccumulation >= 1, "grad-accum must be >= 1, got " + gradientAccumulation);
        check(epochs >= 1, "epochs must be >= 1, got " + epochs);
        check(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        check(maxSeqLen >= 0, "max-seq-len must be >= 0, got " + maxSeqLen);
        check(evalFraction >= 0 && evalFraction < 1, "eval-fraction must be in [0, 1), got " + evalFraction);
        check(freezeLayers >= 0, "freeze-layers must be >= 0, got " + freezeLayers);
        check(checkpointEvery >= 0, "checkpoint-every must be >= 0, got " + checkpointEvery);
    }

    /** The defaults documented above, one per component. */
    public static SftConfig defaults() {
        return SftConfigBuilder.builder()
                .learningRate(2e-5f).warmupRatio(0.03f).minLrRatio(0.1f).optimizer(AdamW.Settings.defaults()).maxGradNorm(1.0f)
                .batchSize(8).gradientAccumulation(1).epochs(3).maxSteps(0).maxSeqLen(0)
                .evalEvery(50).evalFraction(0.1f).earlyStoppingPatience(0).freezeLayers(0).lora(Lora.Settings.off())
                .checkpointEvery(100).appendEos(true).seed(42)
                .build();
    }
}
