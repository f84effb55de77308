package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --tokenizer}, a mixin of every command that loads a model; what the
 * model is for (the policy, a reward model, ...) is in the command's own description.
 */
public class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Model: llama2.c .bin checkpoint, Hugging Face model directory, or a checkpoint directory of this project.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "Tokenizer (llama2.c tokenizer.bin or tokenizer.json) for models that do not carry one.")
    Path tokenizer;

    /** The model's chat template, read from its tokenizer files only; a bad one is bad input naming --model. */
    ChatTemplate chatTemplate() throws IOException {
        return CliModels.chatTemplate(model, tokenizer);
    }

    LoadedModel load(Device device) throws IOException {
        return CliModels.load(model, tokenizer, device);
    }
}
