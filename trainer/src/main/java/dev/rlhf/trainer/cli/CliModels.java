package dev.rlhf.trainer.cli;

import java.io.IOException;
import java.nio.file.Path;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.ModelTemplates;

/** Loads the model a command's {@code --model} (and {@code --tokenizer}) name; a bad one is bad input naming the option. */
final class CliModels {

    private CliModels() {
    }

    /** The chat template of the model (read from its tokenizer files only); a bad one is bad input naming --model. */
    static ChatTemplate chatTemplate(Path model, Path tokenizer) throws IOException {
        try {
            return ModelTemplates.of(model, tokenizer);
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("--model " + model + ": cannot read its tokenizer or chat template: " + e.getMessage(), e);
        }
    }

    static LoadedModel load(Path model, Path tokenizer, Device device) throws IOException {
        try {
            return ModelLoader.load(model, tokenizer, device);
        } catch (CheckpointException e) {
            throw new BadInputException("--model " + e.getMessage(), e);
        }
    }
}
