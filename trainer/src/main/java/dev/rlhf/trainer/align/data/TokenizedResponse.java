package dev.rlhf.trainer.align.data;

import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * Token ids of prompt + response followed by EOS (BOS first), and where the response starts. The
 * whole text is tokenized at once, so the tokens at the seam are the ones the model would see; the
 * response starts where they stop agreeing with the prompt's own tokens (as SFT's
 * {@code TokenizedExample}). EOS is appended as TRL and OpenRLHF do for preference data, so a reward
 * model reads every response at the same kind of token. Longer than {@code maxLength}: the prompt
 * loses tokens from its start (after BOS), as TRL's {@code keep_end} prompt truncation, so the
 * response and the turn it answers survive; a response that alone does not fit is cut at its end.
 *
 * @param ids          the tokens
 * @param responseFrom index of the first response token (at least 1)
 */
public record TokenizedResponse(int[] ids, int responseFrom) {

    public static TokenizedResponse of(String prompt, String response, TextTokenizer tokenizer, int maxLength) {
        int[] whole = tokenizer.encode(prompt + response);
        int from = 1;
        if (!prompt.isEmpty()) {
            int[] promptIds = tokenizer.encode(prompt);
            while (from < Math.min(promptIds.length, whole.length) && promptIds[from] == whole[from]) {
                from++;
            }
        }
        int[] ids = Arrays.copyOf(whole, whole.length + 1);
        ids[whole.length] = tokenizer.eosId();
        return truncated(ids, from, maxLength);
    }

    /**
     * Token ids a policy produced, in the same layout: {@code promptIds} (BOS first, as the policy
     * saw them) then {@code responseIds} (as sampled), then EOS unless the response already ends
     * with it, truncated as {@link #of}. PPO scores its rollouts this way, so the reward model reads
     * exactly the tokens the policy wrote, not a re-encoding of their text.
     */
    public static TokenizedResponse ofTokens(int[] promptIds, int[] responseIds, int eosId, int maxLength) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least its BOS token");
        }
        boolean ended = responseIds.length > 0 && responseIds[responseIds.length - 1] == eosId;
        int[] ids = Arrays.copyOf(promptIds, promptIds.length + responseIds.length + (ended ? 0 : 1));
        System.arraycopy(responseIds, 0, ids, promptIds.length, responseIds.length);
        if (!ended) {
            ids[ids.length - 1] = eosId;
        }
        return truncated(ids, promptIds.length, maxLength);
    }

    /** {@code ids} (response from {@code from}) cut to {@code maxLength}: BOS kept, the prompt loses its start. */
    private static TokenizedResponse truncated(int[] ids, int from, int maxLength) {
        if (ids.length <= maxLength) {
            return new TokenizedResponse(ids, from);
        }
        int responseLength = ids.length - from;
        int responseKept = Math.min(responseLength, maxLength - 1); // BOS always stays
        int promptKept = maxLength - responseKept; // BOS + the prompt's last promptKept - 1 tokens
        int[] truncated = new int[maxLength];
        truncated[0] = ids[0];
        System.arraycopy(ids, from - (promptKept - 1), truncated, 1, promptKept - 1);
        System.arraycopy(ids, from, truncated, promptKept, responseKept);
        return new TokenizedResponse(truncated, promptKept);
    }

    public int length() {
        return ids.length;
    }

    /** Response tokens (EOS included). */
    public int responseTokens() {
        return ids.length - responseFrom;
    }
}
