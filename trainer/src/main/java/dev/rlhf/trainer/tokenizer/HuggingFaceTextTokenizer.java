package dev.rlhf.trainer.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json}, run by DJL's bindings to the Rust tokenizers library. */
public final class HuggingFaceTextTokenizer implements TextTokenizer, AutoCloseable {

    public static final String FILE_NAME = "tokenizer.json";

    private final Path source;
    private final HuggingFaceTokenizer tokenizer;
    private final int bosId;
    private final int eosId;
    private final int vocabSize;

    private HuggingFaceTextTokenizer(Path source, HuggingFaceTokenizer tokenizer, int bosId, int eosId, int vocabSize) {
        this.source = source;
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.eosId = eosId;
        this.vocabSize = vocabSize;
    }

    /**
     * @param file      a tokenizer.json
     * @param bosId     the model's BOS id (from its config.json)
     * @param eosId     the model's EOS id
     * @param vocabSize the model's vocabulary size
     */
    public static HuggingFaceTextTokenizer load(Path file, int bosId, int eosId, int vocabSize) throws IOException {
        // No truncation or padding: the generator and trainers decide lengths themselves.
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file,
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        return new HuggingFaceTextTokenizer(file, tokenizer, bosId, eosId, vocabSize);
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        long[] ids = text.isEmpty() ? new long[0] : tokenizer.encode(text, false, false).getIds();
        int offset = addBos ? 1 : 0;
        int[] out = new int[ids.length + offset];
        if (addBos) {
            out[0] = bosId;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, int previousId) {
        if (previousId < 0) {
            return tokenizer.decode(toLongs(ids, -1), true);
        }
        // Decode with the previous token and cut its text off, so spacing matches the whole sequence.
        String before = tokenizer.decode(new long[] {previousId}, true);
        String all = tokenizer.decode(toLongs(ids, previousId), true);
        return all.startsWith(before) ? all.substring(before.length()) : tokenizer.decode(toLongs(ids, -1), true);
    }

    private static long[] toLongs(int[] ids, int previousId) {
        int offset = previousId >= 0 ? 1 : 0;
        long[] out = new long[ids.length + offset];
        if (previousId >= 0) {
            out[0] = previousId;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = ids[i];
        }
        return out;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void saveTo(Path directory) throws IOException {
        Files.copy(source, directory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
