package dev.rlhf.trainer.checkpoint;

import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;

/** A model and the tokenizer it was trained with. Closing it frees the model's native memory. */
public record LoadedModel(LlamaModel model, TextTokenizer tokenizer) implements AutoCloseable {

    @Override
    public void close() {
        model.close();
        if (tokenizer instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing tokenizer", e);
            }
        }
    }
}
