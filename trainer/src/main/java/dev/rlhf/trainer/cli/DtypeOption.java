package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Precision;
import picocli.CommandLine.Option;

/**
 * {@code --dtype fp32|bf16}, the compute precision, a mixin of the commands that run models (the training
 * commands take it with {@code --save-dtype} through {@link DtypeOptions}); see {@link Precision}.
 */
public class DtypeOption {

    @Option(names = "--dtype", paramLabel = "fp32|bf16",
            description = "Compute precision: fp32 (default) or bf16 (GPU only: bf16 matmuls, float32 norms, softmax, "
                    + "losses and master weights; frozen models stored in bf16).")
    String dtype;

    /** The compute precision, checked against the device: bf16 needs a GPU. */
    Precision precision(Device device) {
        Precision p;
        try {
            p = Precision.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--dtype " + e.getMessage());
        }
        if (p == Precision.BF16 && !device.isGpu()) {
            throw new BadInputException("--dtype bf16 needs --device gpu (on the CPU the trainer computes in fp32)");
        }
        return p;
    }

    /** Applies {@code --dtype} (checked against the device by {@link #precision} first) to a model the command trains or only runs. */
    void applyTo(LlamaModel model, boolean trained) {
        Precision.parse(dtype).applyTo(model, trained);
    }
}
