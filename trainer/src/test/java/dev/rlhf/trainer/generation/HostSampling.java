package dev.rlhf.trainer.generation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The sampling transformations written out on one host row, loop by loop: the reference that
 * {@link TokenChooser}'s tensor version is checked against ({@code TokenChooserTest}), itself checked
 * against hand-computed numbers ({@code HostSamplingTest}). Filtered-out tokens get -infinity.
 */
final class HostSampling {

    private HostSampling() {}

    /** The generator's order (as Hugging Face): penalties, temperature, top-k, top-p, then argmax or a draw. */
    static int choose(float[] rawLogits, int[] context, GenerationConfig config, double uniform) {
        float[] logits = rawLogits.clone();
        LogitsProcessing.applyRepetitionPenalty(logits, context, config.repetitionPenalty());
        LogitsProcessing.banRepeatedNgrams(logits, context, config.noRepeatNgramSize());
        if (config.isGreedy()) {
            return argMax(logits);
        }
        applyTemperature(logits, config.temperature());
        keepTopK(logits, config.topK());
        keepTopP(logits, config.topP());
        return sample(softmax(logits), uniform);
    }

    static void applyTemperature(float[] logits, float temperature) {
        if (temperature == 1f) {
            return;
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= temperature;
        }
    }

    /** Keeps the {@code k} highest logits (ties broken by lower id) and sets the rest to -infinity. */
    static void keepTopK(float[] logits, int k) {
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
    static void keepTopP(float[] logits, float p) {
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
    static double[] softmax(float[] logits) {
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


    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Draws an index from {@code probs} (summing to 1) with the uniform draw {@code u} in [0, 1). */
    static int sample(double[] probs, double u) {
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
    private static Integer[] descendingOrder(float[] logits) {
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        return order;
    }
}
