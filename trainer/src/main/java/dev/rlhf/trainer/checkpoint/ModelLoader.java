package dev.rlhf.trainer.checkpoint;

import ai.djl.Device;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads whatever {@code --model} points at: a llama2.c {@code .bin} file, a Hugging Face model
 * directory, a checkpoint directory this project wrote, or a training run's output directory
 * (whose {@code model/} holds the final model).
 */
public final class ModelLoader {

    private ModelLoader() {}

    /**
     * @param model     the model file or directory
     * @param tokenizer a tokenizer file (llama2.c tokenizer.bin or tokenizer.json) for models that do
     *                  not carry their own; null to use the model's own
     */
    public static LoadedModel load(Path model, Path tokenizer, Device device) throws IOException {
        // The loading thread is the one that samples and trains with the model: autograd off there (outside
        // gradient collectors), whichever thread happened to start the PyTorch engine. Without this, a command
        // run on a thread other than the engine's first (a second command in one JVM after serve's worker
        // thread started the engine) fails its first optimizer step with "a leaf Variable that requires grad
        // is being used in an in-place operation".
        dev.rlhf.trainer.model.Devices.noGradOnThisThread();
        if (!Files.exists(model)) {
            throw new CheckpointException(model + ": no such file or directory");
        }
        LoadedModel loaded;
        if (Files.isDirectory(model) && !ModelCheckpoint.isCheckpointDirectory(model)
                && ModelCheckpoint.isCheckpointDirectory(model.resolve("model"))) {
            model = model.resolve("model"); // a training run's --out directory: its final model
        }
        if (Files.isDirectory(model)) {
            if (ModelCheckpoint.isCheckpointDirectory(model)) {
                loaded = ModelCheckpoint.load(model, device);
            } else if (HuggingFaceCheckpoint.isHuggingFaceDirectory(model)) {
                loaded = HuggingFaceCheckpoint.load(model, device);
            } else {
                throw new CheckpointException(model + ": neither a checkpoint directory (" + ModelCheckpoint.MANIFEST
                        + ") nor a Hugging Face model directory (" + HuggingFaceCheckpoint.CONFIG + " + "
                        + HuggingFaceCheckpoint.WEIGHTS + ")");
            }
            if (tokenizer == null) {
                return loaded;
            }
            LlamaModel m = loaded.model();
            return new LoadedModel(m, loadTokenizer(tokenizer, m.config().vocabSize()));
        }
        LlamaModel m = Llama2cCheckpoint.load(model, device);
        Path tokenizerFile = tokenizer != null ? tokenizer : siblingTokenizer(model);
        if (tokenizerFile == null) {
            m.close();
            throw new CheckpointException(model + ": a llama2.c checkpoint needs --tokenizer (no tokenizer.bin next to it)");
        }
        try {
            return new LoadedModel(m, loadTokenizer(tokenizerFile, m.config().vocabSize()));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A tokenizer file: tokenizer.json (by extension) or llama2.c tokenizer.bin. */
    public static TextTokenizer loadTokenizer(Path file, int vocabSize) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": tokenizer file not found");
        }
        if (file.getFileName().toString().endsWith(".json")) {
            return HuggingFaceTextTokenizer.load(file, 1, 2, vocabSize);
        }
        return Llama2cTokenizer.load(file, vocabSize);
    }

    private static Path siblingTokenizer(Path model) {
        Path sibling = model.toAbsolutePath().resolveSibling(Llama2cTokenizer.FILE_NAME);
        return Files.isRegularFile(sibling) ? sibling : null;
    }
}
