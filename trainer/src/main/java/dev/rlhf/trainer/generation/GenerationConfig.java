package dev.rlhf.trainer.generation;

import java.util.List;

/**
 * How to decode. Defaults follow Hugging Face {@code GenerationConfig} unless noted.
 *
 * @param maxNewTokens      most tokens generated per sample (default 128)
 * @param temperature       softmax temperature; 0 means greedy (default 1.0, as HF)
 * @param topK              sample only among the k most likely tokens; 0 = off (default 0; HF uses 50)
 * @param topP              nucleus sampling: the smallest set of tokens with mass >= p; 1 = off (default 1.0, as HF)
 * @param repetitionPenalty divide positive logits (multiply negative ones) of tokens already in the
 *                          sequence by this; 1 = off (default 1.0; the CTRL paper suggests 1.2)
 * @param noRepeatNgramSize never repeat an n-gram of this size; 0 = off (default 0, as HF)
 * @param numBeams          beam width; 1 = no beam search (default 1, as HF)
 * @param lengthPenalty     beam scores are divided by length^lengthPenalty (default 1.0, as HF)
 * @param numSamples        samples (or returned beams) per prompt, all in one batch (default 1)
 * @param stopStrings       a completion ends before the first of these it contains (default none)
 * @param stopAtEos         a sample ends after its EOS token (default true)
 * @param seed              random seed; null draws one (default null)
 * @param useKvCache        reuse past keys and values instead of recomputing them (default true)
 */
public record GenerationConfig(
        int maxNewTokens,
        float temperature,
        int topK,
        float topP,
        float repetitionPenalty,
        int noRepeatNgramSize,
        int numBeams,
        float lengthPenalty,
        int numSamples,
        List<String> stopStrings,
        boolean stopAtEos,
        Long seed,
        boolean useKvCache) {

    public GenerationConfig {
        stopStrings = List.copyOf(stopStrings);
        check(maxNewTokens >= 0, "max-new-tokens must be >= 0, got " + maxNewTokens);
        check(temperature >= 0 && Float.isFinite(temperature), "temperature must be >= 0, got " + temperature);
        check(topK >= 0, "top-k must be >= 0, got " + topK);
        check(topP > 0 && topP <= 1, "top-p must be in (0, 1], got " + topP);
        check(repetitionPenalty > 0, "repetition-penalty must be > 0, got " + repetitionPenalty);
        check(noRepeatNgramSize >= 0, "no-repeat-ngram-size must be >= 0, got " + noRepeatNgramSize);
        check(numBeams >= 1, "num-beams must be >= 1, got " + numBeams);
        check(numSamples >= 1, "num-samples must be >= 1, got " + numSamples);
        check(numBeams == 1 || numSamples <= numBeams,
                "num-samples " + numSamples + " must not exceed num-beams " + numBeams + " in beam search");
        for (String stop : stopStrings) {
            check(!stop.isEmpty(), "stop strings must not be empty");
        }
    }

    public static GenerationConfig defaults() {
        return new GenerationConfig(128, 1.0f, 0, 1.0f, 1.0f, 0, 1, 1.0f, 1, List.of(), true, null, true);
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return defaults().withMaxNewTokens(maxNewTokens).withTemperature(0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public GenerationConfig withMaxNewTokens(int v) {
        return new GenerationConfig(v, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withTemperature(float v) {
        return new GenerationConfig(maxNewTokens, v, topK, topP, repetitionPenalty, noRepeatNgramSize, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withTopK(int v) {
        return new GenerationConfig(maxNewTokens, temperature, v, topP, repetitionPenalty, noRepeatNgramSize, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withTopP(float v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, v, repetitionPenalty, noRepeatNgramSize, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withRepetitionPenalty(float v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, v, noRepeatNgramSize, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withNoRepeatNgramSize(int v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, v, numBeams,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withNumBeams(int v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize, v,
                lengthPenalty, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withLengthPenalty(float v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, v, numSamples, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withNumSamples(int v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, lengthPenalty, v, stopStrings, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withStopStrings(List<String> v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, lengthPenalty, numSamples, v, stopAtEos, seed, useKvCache);
    }

    public GenerationConfig withStopAtEos(boolean v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, lengthPenalty, numSamples, stopStrings, v, seed, useKvCache);
    }

    public GenerationConfig withSeed(Long v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, lengthPenalty, numSamples, stopStrings, stopAtEos, v, useKvCache);
    }

    public GenerationConfig withKvCache(boolean v) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, repetitionPenalty, noRepeatNgramSize,
                numBeams, lengthPenalty, numSamples, stopStrings, stopAtEos, seed, v);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
