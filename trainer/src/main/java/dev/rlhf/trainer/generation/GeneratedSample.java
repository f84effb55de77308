package dev.rlhf.trainer.generation;

/**
 * One completion of one prompt.
 *
 * @param promptIndex   index of the prompt in the request
 * @param prompt        the prompt text
 * @param completion    the generated text (stop string and EOS excluded)
 * @param tokenIds      generated token ids (EOS included when generated; prompt excluded)
 * @param tokenLogprobs log-probability of each generated token under the model's unmodified
 *                      distribution (temperature 1, no filtering), the policy's likelihood of it
 * @param finishReason  why generation stopped
 */
public record GeneratedSample(
        int promptIndex,
        String prompt,
        String completion,
        int[] tokenIds,
        float[] tokenLogprobs,
        FinishReason finishReason) {

    /** Sum of the per-token log-probabilities: the log-likelihood of the completion. */
    public double logprob() {
        double sum = 0;
        for (float lp : tokenLogprobs) {
            sum += lp;
        }
        return sum;
    }

    public enum FinishReason {
        /** The model produced an end-of-sequence token (see {@code TextTokenizer.stopTokenIds}). */
        EOS,
        /** The completion reached a stop string. */
        STOP_STRING,
        /** The token budget ran out. */
        LENGTH
    }
}
