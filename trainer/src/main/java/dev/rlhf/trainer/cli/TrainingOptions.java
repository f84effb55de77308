package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options every preference-training command shares ({@code reward}, {@code dpo}, {@code kto}); unset
 * hyperparameters take the values of {@code --preset} (paper: the algorithm's config record's defaults),
 * and the commands overlay only the options given (see {@link Overlay}).
 */
public class TrainingOptions {

    @Mixin
    PresetOption preset;

    @Mixin
    DtypeOptions dtypes;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH",
            description = "JSONL export lines: pairs {\"prompt\",\"chosen\",\"rejected\"} or rankings {\"prompt\",\"responses\",\"ranking\"}"
                    + " (kto also: {\"prompt\",\"completion\",\"label\"}).")
    Path data;

    @Mixin
    RunOutputOptions output;

    @Option(names = "--seed", paramLabel = "N", description = "Data order and initialisation seed "
            + "(default ${bundle:default.RewardModelConfig.seed} for reward, ${bundle:default.DpoConfig.seed} for dpo).")
    Long seed;

    @Mixin
    DeviceOption device;

    @Option(names = "--max-steps", paramLabel = "N", description = "Optimizer steps; 0 = from --epochs (default: from --preset).")
    Integer maxSteps;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the data (default: from --preset).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Rankings (reward), pairs (dpo) or examples (kto) per optimizer step (default: from --preset).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: from --preset).")
    Double lr;

    @Option(names = "--max-length", paramLabel = "N", description = "Most tokens of prompt + response, capped by the model's context (default: from --preset).")
    Integer maxLength;

    @Option(names = "--warmup-ratio", paramLabel = "X", description = "Share of steps of linear warmup before cosine decay (default: from --preset).")
    Double warmupRatio;

    @Mixin
    ConfigFileOption configFile;

    /**
     * Passes the shared hyperparameters the user gave to a config builder's (generated) setters; the ones not
     * given keep the builder's values (the preset's).
     */
    void overlay(Consumer<Double> learningRate, Consumer<Integer> batchSize, Consumer<Integer> epochs,
                 Consumer<Integer> maxLength, Consumer<Long> seed, Consumer<Integer> maxSteps, Consumer<Double> warmupRatio) {
        Overlay.set(lr, learningRate);
        Overlay.set(this.batchSize, batchSize);
        Overlay.set(this.epochs, epochs);
        Overlay.set(this.maxLength, maxLength);
        Overlay.set(this.seed, seed);
        Overlay.set(this.maxSteps, maxSteps);
        Overlay.set(this.warmupRatio, warmupRatio);
    }

    MetricsSink metricsSink() {
        return output.metricsSink();
    }

    /** The model to train, set up for {@code --dtype} and {@code --save-dtype}. */
    LoadedModel loadModel() throws IOException {
        Device target = device.device();
        dtypes.precision(target);
        LoadedModel loaded = modelOptions.load(target);
        try {
            dtypes.applyTo(loaded.model(), true);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
        return loaded;
    }

    List<RankedResponses> readData() throws IOException {
        return readPreferences(data, "--data", modelOptions.chatTemplate());
    }

    /** A preference file, prompts rendered by {@code template} (the model's chat template). */
    static List<RankedResponses> readPreferences(Path file, String option, ChatTemplate template) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(option + " " + file + ": file not found");
        }
        try {
            return PreferenceFile.read(file, template);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
