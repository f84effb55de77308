package dev.rlhf.trainer.cli;

import java.io.IOException;
import java.nio.file.Path;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;

/** Loads the model a command's {@code --model} (and {@code --tokenizer}) name; a bad one is bad input naming the option. */
final class CliModels {

    private CliModels() {
    }

    static LoadedModel load(Path model, Path tokenizer, Device device) throws IOException {
        try {
            return ModelLoader.load(model, tokenizer, device);
        } catch (CheckpointException e) {
            throw new BadInputException("--model " + e.getMessage(), e);
        }
    }
}
