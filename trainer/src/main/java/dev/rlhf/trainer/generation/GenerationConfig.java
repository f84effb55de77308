package dev.rlhf.trainer.generation;

import io.soabase.recordbuilder.core.RecordBuilder;
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
@RecordBuilder
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
        boolean useKvCache) implements GenerationConfigBuilder.With {

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

    /** The defaults documented above, one per component. */
    public static GenerationConfig defaults() {
        return GenerationConfigBuilder.builder()
                .maxNewTokens(128).temperature(1.0f).topK(0).topP(1.0f).repetitionPenalty(1.0f).noRepeatNgramSize(0)
                .numBeams(1).lengthPenalty(1.0f).numSamples(1).stopStrings(List.of()).stopAtEos(true).seed(null).useKvCache(true)
                .build();
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return defaults().withMaxNewTokens(maxNewTokens).withTemperature(0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
