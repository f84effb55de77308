package dev.rlhf.trainer.tokenizer;

import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import java.io.IOException;
import java.nio.file.Path;

/** Text to token ids and back, for the model families the trainer loads. */
public interface TextTokenizer {

    /** Token ids of {@code text}, starting with BOS when {@code addBos}. */
    int[] encode(String text, boolean addBos);

    /**
     * Token ids of a text the chat template rendered (a prompt, or prompt + response): BOS first where
     * the template does not write its own special tokens ({@link ChatTemplate#prependsBos()}).
     */
    default int[] encode(String text) {
        return encode(text, chatTemplate().prependsBos());
    }

    /**
     * The template conversations are rendered with: the model's own chat template, or the
     * {@link PlainChatTemplate} for base models without one.
     */
    default ChatTemplate chatTemplate() {
        return PlainChatTemplate.INSTANCE;
    }

    /** Text of {@code ids}; special tokens (BOS, EOS) are left out. */
    default String decode(int[] ids) {
        return decode(ids, -1);
    }

    /**
     * Text of {@code ids} as a continuation of a sequence ending in {@code previousId} (-1: none),
     * so a completion decodes exactly as it would inside the whole sequence.
     */
    String decode(int[] ids, int previousId);

    int bosId();

    /** The token that ends a response (the turn's end token of the chat template); appended to responses in training. */
    int eosId();

    /** The padding token, as the model defines it (EOS where it defines none). Padded positions are masked. */
    default int padId() {
        return eosId();
    }

    /** Tokens that end a generated sequence: EOS, plus whatever else the model family uses. */
    default java.util.Set<Integer> stopTokenIds() {
        return java.util.Set.of(eosId());
    }

    int vocabSize();

    /** Copies this tokenizer's files into a checkpoint directory. */
    void saveTo(Path directory) throws IOException;
}
