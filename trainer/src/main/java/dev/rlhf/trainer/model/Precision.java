package dev.rlhf.trainer.model;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * {@code --dtype fp32|bf16}: the precision a command computes in. {@code bf16} is mixed precision
 * for a GPU: matrix products in bfloat16, while RMSNorm, softmax, log-softmax, losses and masks
 * stay float32 (see {@link LlamaModel}). Trained models keep float32 master weights, gradients and
 * AdamW states; frozen models (PPO's reference and reward model, generation) store their weights in
 * bfloat16, halving their memory. Models on the CPU (e.g. {@code --offload-frozen}) stay float32:
 * DJL 0.35.1's CPU bfloat16 path aborted the JVM.
 */
public enum Precision {
    FP32,
    BF16;

    public static Precision parse(String text) {
        String t = text == null ? "fp32" : text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "fp32", "f32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("'" + text + "' is not one of fp32, bf16");
        };
    }

    /**
     * Sets up {@code model} for this precision; {@code trained} models keep float32 weights (the
     * optimizer's masters), frozen ones store bfloat16. A no-op for fp32 and for models on the CPU.
     */
    public void applyTo(LlamaModel model, boolean trained) {
        if (this == FP32 || !model.device().isGpu()) {
            return;
        }
        model.computeIn(DataType.BFLOAT16);
        if (!trained) {
            model.storeIn(DataType.BFLOAT16);
        }
    }
}
