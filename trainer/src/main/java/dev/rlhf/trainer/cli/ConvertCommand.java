package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.HuggingFaceCheckpoint;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.WeightsDtype;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code trainer convert}: rewrites any model the trainer loads as a Hugging Face directory of its family
 * ({@code --format hf}, readable by transformers) or as this project's checkpoint directory.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a model (--model) to a Hugging Face directory or a project checkpoint.")
public class ConvertCommand implements Callable<Integer> {

    enum Format { hf, checkpoint }

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write.")
    Path out;

    @Option(names = "--format", defaultValue = "hf", description = "hf or checkpoint (default ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--save-dtype", paramLabel = "f32|bf16|f16",
            description = "Dtype of the written weights (default: the dtype the weights came in).")
    String saveDtype;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws Exception {
        LoadedModel loaded = modelOptions.load(Device.cpu());
        try (loaded) {
            if (saveDtype != null) {
                try {
                    loaded.model().saveAs(WeightsDtype.parse(saveDtype));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException("--save-dtype " + e.getMessage());
                }
            }
            if (format == Format.hf) {
                HuggingFaceCheckpoint.save(loaded.model(), loaded.tokenizer(), out);
            } else {
                ModelCheckpoint.save(loaded.model(), loaded.tokenizer(), out, Map.of("converted_from", modelOptions.model.toString()));
            }
        }
        System.err.println("wrote " + out);
        return 0;
    }
}
