package dev.rlhf.trainer.generation;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Decoding's logit transformations that read a row's context, as small pure functions on one row
 * of logits, and log-softmax in double precision. Beam search applies them on the host; sampling
 * runs the same decisions on the model's device ({@link TokenChooser}), taking from here which
 * entries a context penalises. Filtered-out tokens get {@code -infinity}.
 */
public final class LogitsProcessing {

    private LogitsProcessing() {}

    /** CTRL's repetition penalty over the distinct tokens of {@code context}. */
    public static void applyRepetitionPenalty(float[] logits, int[] context, float penalty) {
        if (penalty == 1f) {
            return;
        }
        for (int token : distinctTokens(context, logits.length)) {
            logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
        }
    }

    /** The tokens of {@code context} within the vocabulary, each once, in order of first use. */
    public static int[] distinctTokens(int[] context, int vocabSize) {
        BitSet seen = new BitSet(vocabSize);
        int[] distinct = new int[context.length];
        int count = 0;
        for (int token : context) {
            if (token >= 0 && token < vocabSize && !seen.get(token)) {
                seen.set(token);
                distinct[count++] = token;
            }
        }
        return Arrays.copyOf(distinct, count);
    }

    /** Bans every token that would complete an n-gram already present in {@code context}. */
    public static void banRepeatedNgrams(float[] logits, int[] context, int n) {
        for (int token : repeatedNgramCompletions(context, n)) {
            if (token >= 0 && token < logits.length) {
                logits[token] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * The tokens that would complete an n-gram already in {@code context}: those that followed an
     * earlier occurrence of its last n - 1 tokens (repeats possible).
     */
    public static int[] repeatedNgramCompletions(int[] context, int n) {
        if (n <= 0 || context.length < n - 1) {
            return new int[0];
        }
        int prefixStart = context.length - (n - 1);
        int[] completions = new int[Math.max(context.length - n + 1, 0)];
        int count = 0;
        for (int start = 0; start + n <= context.length; start++) {
            boolean samePrefix = true;
            for (int j = 0; j < n - 1 && samePrefix; j++) {
                samePrefix = context[start + j] == context[prefixStart + j];
            }
            if (samePrefix) {
                completions[count++] = context[start + n - 1];
            }
        }
        return Arrays.copyOf(completions, count);
    }

    /** log-softmax of one entry, in double precision. */
    public static float logSoftmaxAt(float[] logits, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return (float) (logits[index] - max - Math.log(sum));
    }

    /** Whole-row log-softmax, in double precision. */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += l == Float.NEGATIVE_INFINITY ? 0 : Math.exp(l - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logSum;
        }
        return out;
    }
}
