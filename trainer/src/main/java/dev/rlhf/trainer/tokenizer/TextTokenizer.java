package dev.rlhf.trainer.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** Text to token ids and back, for the model families the trainer loads. */
public interface TextTokenizer {

    /** Token ids of {@code text}, starting with BOS when {@code addBos}. */
    int[] encode(String text, boolean addBos);

    /** Token ids of {@code text} as a prompt: BOS first. */
    default int[] encode(String text) {
        return encode(text, true);
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

    int eosId();

    /** Tokens that end a generated sequence: EOS, plus whatever else the model family uses. */
    default java.util.Set<Integer> stopTokenIds() {
        return java.util.Set.of(eosId());
    }

    int vocabSize();

    /** Copies this tokenizer's files into a checkpoint directory. */
    void saveTo(Path directory) throws IOException;
}
