package dev.rlhf.trainer.sft;

import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * Token ids of prompt + completion (BOS first) and where the learned part starts: the loss covers
 * predictions of {@code ids[lossFrom..]}.
 */
public record TokenizedExample(int[] ids, int lossFrom) {

    /**
     * Tokenizes the whole text at once (so the tokens at the seam are the ones the model would see)
     * and starts the loss where it stops agreeing with the prompt's own tokens.
     *
     * @return null when truncation to {@code maxLength} leaves nothing to learn
     */
    public static TokenizedExample of(SftExample example, TextTokenizer tokenizer, int maxLength, boolean appendEos) {
        int[] whole = tokenizer.encode(example.prompt() + example.completion());
        int lossFrom = 1;
        if (!example.prompt().isEmpty()) {
            int[] prompt = tokenizer.encode(example.prompt());
            while (lossFrom < Math.min(prompt.length, whole.length) && prompt[lossFrom] == whole[lossFrom]) {
                lossFrom++;
            }
        }
        int[] ids = whole;
        if (appendEos) {
            ids = Arrays.copyOf(whole, whole.length + 1);
            ids[whole.length] = tokenizer.eosId();
        }
        if (ids.length > maxLength) {
            ids = Arrays.copyOf(ids, maxLength);
        }
        return lossFrom < ids.length ? new TokenizedExample(ids, lossFrom) : null;
    }

    /** Tokens whose prediction is learned. */
    public int lossTokens() {
        return ids.length - lossFrom;
    }
}
