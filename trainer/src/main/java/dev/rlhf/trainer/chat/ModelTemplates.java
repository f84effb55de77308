package dev.rlhf.trainer.chat;

import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The chat template of whatever {@code --model} (and {@code --tokenizer}) name, read from the tokenizer
 * files alone, without loading weights: so data files are rendered (and their errors reported) before a
 * model is loaded, and {@code render} works for any model family whose tokenizer is readable.
 */
public final class ModelTemplates {

    private ModelTemplates() {}

    /** The tokenizer.json of the model, or null where it has none (llama2.c checkpoints). */
    public static Path tokenizerJson(Path model, Path tokenizer) {
        if (tokenizer != null) {
            return tokenizer.getFileName().toString().endsWith(".json") ? tokenizer : null;
        }
        if (!Files.isDirectory(model)) {
            return null;
        }
        Path dir = model;
        if (!Files.isRegularFile(dir.resolve(ModelCheckpoint.MANIFEST)) && Files.isRegularFile(dir.resolve("model").resolve(ModelCheckpoint.MANIFEST))) {
            dir = dir.resolve("model"); // a training run's --out directory
        }
        Path json = dir.resolve(HuggingFaceTextTokenizer.FILE_NAME);
        return Files.isRegularFile(json) ? json : null;
    }

    /** The model's chat template; the plain template when it has none. */
    public static ChatTemplate of(Path model, Path tokenizer) throws IOException {
        Path json = tokenizerJson(model, tokenizer);
        if (json == null) {
            return PlainChatTemplate.INSTANCE;
        }
        try (HuggingFaceTextTokenizer t = HuggingFaceTextTokenizer.load(json, 1, 2, 0)) {
            return t.chatTemplate();
        }
    }
}
