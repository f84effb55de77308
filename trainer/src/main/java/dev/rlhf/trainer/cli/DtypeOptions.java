package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Precision;
import dev.rlhf.trainer.model.WeightsDtype;
import picocli.CommandLine.Option;

/**
 * {@code --dtype fp32|bf16} (compute precision) and {@code --save-dtype f32|bf16|f16} (the dtype
 * written models are stored in), a mixin of the commands that load models; see {@link Precision}.
 */
public class DtypeOptions {

    @Option(names = "--dtype", paramLabel = "fp32|bf16",
            description = "Compute precision: fp32 (default) or bf16 (GPU only: bf16 matmuls, float32 norms, softmax, "
                    + "losses and master weights; frozen models stored in bf16).")
    String dtype;

    @Option(names = "--save-dtype", paramLabel = "f32|bf16|f16",
            description = "Dtype of the saved model's weights (default: the dtype the weights came in).")
    String saveDtype;

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

    /**
     * Applies {@code --dtype} (checked against the device by {@link #precision} first) and
     * {@code --save-dtype} to a model the command trains or only runs.
     */
    void applyTo(LlamaModel model, boolean trained) {
        Precision.parse(dtype).applyTo(model, trained);
        if (saveDtype != null) {
            try {
                model.saveAs(WeightsDtype.parse(saveDtype));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--save-dtype " + e.getMessage());
            }
        }
    }
}
