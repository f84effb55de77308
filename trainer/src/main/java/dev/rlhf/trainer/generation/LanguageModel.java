package dev.rlhf.trainer.generation;

/** Anything that can open decoding sessions over a vocabulary: the decoder, or a constructed table. */
public interface LanguageModel {

    /**
     * @param maxTotalLength the longest row (prompt plus generated tokens) the session will see
     */
    DecodingSession openSession(int maxTotalLength, boolean useKvCache);

    int vocabSize();

    /** Longest sequence the model accepts. */
    int maxSequenceLength();

    /**
     * Whether decoding {@code rows} rows at once is work small enough to run on the calling thread alone
     * ({@link dev.rlhf.trainer.model.NativeThreads#onOneThread}): forking it over threads costs more than it saves.
     */
    default boolean decodesFasterOnOneThread(int rows) {
        return false;
    }
}
