package dev.rlhf.trainer.generation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The per-row logit transformations of decoding, as small pure functions on one row of logits.
 * Filtered-out tokens get {@code -infinity}. Order used by the generator (as Hugging Face):
 * repetition penalty, no-repeat-n-gram, temperature, top-k, top-p.
 */
public final class LogitsProcessing {

    private LogitsProcessing() {}

    /** CTRL's repetition penalty over the distinct tokens of {@code context}. */
    public static void applyRepetitionPenalty(float[] logits, int[] context, float penalty) {
        if (penalty == 1f) {
            return;
        }
        boolean[] seen = new boolean[logits.length];
        for (int token : context) {
            if (token >= 0 && token < logits.length && !seen[token]) {
                seen[token] = true;
                logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
            }
        }
    }

    /** Bans every token that would complete an n-gram already present in {@code context}. */
    public static void banRepeatedNgrams(float[] logits, int[] context, int n) {
        if (n <= 0 || context.length < n - 1) {
            return;
        }
        int prefixStart = context.length - (n - 1);
        for (int start = 0; start + n <= context.length; start++) {
            boolean samePrefix = true;
            for (int j = 0; j < n - 1 && samePrefix; j++) {
                samePrefix = context[start + j] == context[prefixStart + j];
            }
            if (samePrefix) {
                logits[context[start + n - 1]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    public static void applyTemperature(float[] logits, float temperature) {
        if (temperature == 1f) {
            return;
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= temperature;
        }
    }

    /** Keeps the {@code k} highest logits (ties broken by lower id) and sets the rest to -infinity. */
    public static void keepTopK(float[] logits, int k) {
        if (k <= 0 || k >= logits.length) {
            return;
        }
        Integer[] order = descendingOrder(logits);
        for (int rank = k; rank < order.length; rank++) {
            logits[order[rank]] = Float.NEGATIVE_INFINITY;
        }
    }

    /**
     * Nucleus filtering: keeps the smallest set of most likely tokens whose probability mass is at
     * least {@code p} (always at least one token).
     */
    public static void keepTopP(float[] logits, float p) {
        if (p >= 1f) {
            return;
        }
        double[] probs = softmax(logits);
        Integer[] order = descendingOrder(logits);
        double mass = 0;
        int keep = 0;
        while (keep < order.length && mass < p) {
            mass += probs[order[keep]];
            keep++;
        }
        for (int rank = Math.max(keep, 1); rank < order.length; rank++) {
            logits[order[rank]] = Float.NEGATIVE_INFINITY;
        }
    }

    /** Softmax in double precision; -infinity logits get probability 0. */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] probs = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        return probs;
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

    public static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Draws an index from {@code probs} (summing to 1) with the uniform draw {@code u} in [0, 1). */
    public static int sample(double[] probs, double u) {
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // rounding left u just above the total
    }

    /** Token ids sorted by descending logit, ties by ascending id. */
    static Integer[] descendingOrder(float[] logits) {
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        return order;
    }
}
