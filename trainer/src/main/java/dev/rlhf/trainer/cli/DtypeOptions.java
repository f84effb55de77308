package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Precision;
import dev.rlhf.trainer.model.WeightsDtype;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --dtype} ({@link DtypeOption}) and {@code --save-dtype f32|bf16|f16} (the dtype written models are
 * stored in), a mixin of the commands that train models; see {@link Precision}.
 */
public class DtypeOptions {

    @Mixin
    DtypeOption compute;

    @Option(names = "--save-dtype", paramLabel = "f32|bf16|f16",
            description = "Dtype of the saved model's weights (default: the dtype the weights came in).")
    String saveDtype;

    /** The compute precision, checked against the device: bf16 needs a GPU. */
    Precision precision(Device device) {
        return compute.precision(device);
    }

    /**
     * Applies {@code --dtype} (checked against the device by {@link #precision} first) and
     * {@code --save-dtype} to a model the command trains or only runs.
     */
    void applyTo(LlamaModel model, boolean trained) {
        compute.applyTo(model, trained);
        if (saveDtype != null) {
            try {
                model.saveAs(WeightsDtype.parse(saveDtype));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--save-dtype " + e.getMessage());
            }
        }
    }
}
