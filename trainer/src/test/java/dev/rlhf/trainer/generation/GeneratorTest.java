package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.Llama2cCheckpoint;
import dev.rlhf.trainer.generation.GeneratedSample.FinishReason;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decoding strategies on the real stories260K model, each checked by its defining property. */
class GeneratorTest {

    static final String DOG = "Once upon a time, a dog";
    static final int[] EMPTY_PROMPT_GREEDY_40 = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317,
        426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394,
        261, 370, 432, 352};
    static final int[] DOG_GREEDY_32 = {395, 392, 412, 444, 286, 399, 344, 444, 429, 275, 266, 426, 346, 286, 399, 344,
        444, 429, 275, 266, 267, 262, 411, 411, 263, 415, 294, 286, 322, 419, 292, 411};

    static LlamaModel model;
    static Llama2cTokenizer tokenizer;
    static Generator generator;

    @BeforeAll
    static void load() throws Exception {
        model = Llama2cCheckpoint.load(SharedData.stories260kModel(), Device.cpu());
        tokenizer = Llama2cTokenizer.load(SharedData.stories260kTokenizer(), model.config().vocabSize());
        generator = new Generator(new LlamaLanguageModel(model), tokenizer);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyBatchOfDifferentLengthsReproducesTheReference() {
        // Left padding: the two prompts (1 and 9 tokens) share one batch.
        List<GeneratedSample> samples = generator.generate(List.of("", DOG),
                GenerationConfig.greedy(40).withStopAtEos(false));
        assertThat(samples.get(0).tokenIds()).containsExactly(EMPTY_PROMPT_GREEDY_40);
        assertThat(Arrays.copyOf(samples.get(1).tokenIds(), 32)).containsExactly(DOG_GREEDY_32);
        assertThat(samples.get(0).completion()).startsWith("Once upon a time, there was a little girl named Lily.");
        assertThat(samples.get(1).completion()).startsWith(" named Max was very excited.");
        assertThat(samples).allMatch(s -> s.finishReason() == FinishReason.LENGTH);
    }

    @Test
    void kvCacheGivesTheSameTokensAsRecomputing() {
        GenerationConfig config = GenerationConfig.greedy(48).withStopAtEos(false);
        List<GeneratedSample> cached = generator.generate(List.of(DOG, "The cat"), config);
        List<GeneratedSample> recomputed = generator.generate(List.of(DOG, "The cat"), config.withUseKvCache(false));
        for (int i = 0; i < 2; i++) {
            assertThat(cached.get(i).tokenIds()).containsExactly(recomputed.get(i).tokenIds());
            assertThat(cached.get(i).tokenLogprobs()).containsExactly(recomputed.get(i).tokenLogprobs(), within(1e-4f));
        }
    }

    @Test
    void seededSamplingRepeatsAndDifferentSeedsDiffer() {
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(30).withNumSamples(3).withSeed(42L);
        List<GeneratedSample> first = generator.generate(List.of(DOG), config);
        List<GeneratedSample> again = generator.generate(List.of(DOG), config);
        List<GeneratedSample> other = generator.generate(List.of(DOG), config.withSeed(7L));
        assertThat(first).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(again.get(i).tokenIds()).containsExactly(first.get(i).tokenIds());
        }
        assertThat(ids(other)).isNotEqualTo(ids(first));
        // K samples of one prompt in one batch are different draws, not copies.
        assertThat(new HashSet<>(ids(first))).hasSizeGreaterThan(1);
    }

    @Test
    void topKNeverSamplesOutsideTheKBest() {
        int k = 3;
        List<GeneratedSample> samples = generator.generate(List.of(DOG, ""),
                GenerationConfig.defaults().withMaxNewTokens(40).withTopK(k).withTemperature(2.0f).withNumSamples(4)
                        .withSeed(1L).withStopAtEos(false));
        int checked = 0;
        for (GeneratedSample s : samples) {
            float[][] logits = recomputedLogits(s);
            for (int t = 0; t < s.tokenIds().length; t++) {
                assertThat(rankOf(logits[t], s.tokenIds()[t])).as("rank of token %d", t).isLessThan(k);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(8 * 40);
    }

    @Test
    void topPSamplesOnlyWithinTheNucleus() {
        float p = 0.6f;
        float temperature = 1.5f;
        List<GeneratedSample> samples = generator.generate(List.of(DOG, ""),
                GenerationConfig.defaults().withMaxNewTokens(40).withTopP(p).withTemperature(temperature)
                        .withNumSamples(4).withSeed(3L).withStopAtEos(false));
        boolean sawNonTop = false;
        for (GeneratedSample s : samples) {
            float[][] logits = recomputedLogits(s);
            for (int t = 0; t < s.tokenIds().length; t++) {
                float[] scaled = logits[t].clone();
                HostSampling.applyTemperature(scaled, temperature);
                double[] probs = HostSampling.softmax(scaled);
                int token = s.tokenIds()[t];
                // Mass strictly above the sampled token must be < p, or the token is outside the nucleus.
                double massAbove = 0;
                for (double q : probs) {
                    if (q > probs[token]) {
                        massAbove += q;
                    }
                }
                assertThat(massAbove).as("mass above token %d at step %d", token, t).isLessThan(p + 1e-4);
                sawNonTop |= rankOf(logits[t], token) > 0;
            }
        }
        assertThat(sawNonTop).as("top-p sampling is not greedy").isTrue();
    }

    @Test
    void reportsTheModelsLogprobOfEachSampledToken() {
        GeneratedSample s = generator.generate(List.of(DOG),
                GenerationConfig.defaults().withMaxNewTokens(20).withSeed(5L).withTemperature(0.8f)).getFirst();
        float[][] logits = recomputedLogits(s);
        double sum = 0;
        for (int t = 0; t < s.tokenIds().length; t++) {
            float expected = LogitsProcessing.logSoftmaxAt(logits[t], s.tokenIds()[t]);
            assertThat(s.tokenLogprobs()[t]).isCloseTo(expected, within(1e-3f));
            sum += expected;
        }
        assertThat(s.logprob()).isCloseTo(sum, within(1e-2));
    }

    @Test
    void stopStringsEndTheCompletionBeforeTheStop() {
        GeneratedSample s = generator.generate(List.of(""),
                GenerationConfig.greedy(100).withStopStrings(List.of("."))).getFirst();
        assertThat(s.finishReason()).isEqualTo(FinishReason.STOP_STRING);
        assertThat(s.completion()).isEqualTo("Once upon a time, there was a little girl named Lily");
        assertThat(tokenizer.decode(s.tokenIds(), 1)).startsWith(s.completion() + ".");
    }

    @Test
    void eosEndsASampleAndMaxNewTokensBoundsIt() {
        List<GeneratedSample> samples = generator.generate(List.of("", DOG),
                GenerationConfig.defaults().withMaxNewTokens(400).withNumSamples(2).withSeed(11L));
        for (GeneratedSample s : samples) {
            int[] ids = s.tokenIds();
            assertThat(ids.length).isLessThanOrEqualTo(400);
            for (int t = 0; t < ids.length - 1; t++) {
                assertThat(tokenizer.stopTokenIds()).doesNotContain(ids[t]);
            }
            if (s.finishReason() == FinishReason.EOS) {
                assertThat(tokenizer.stopTokenIds()).contains(ids[ids.length - 1]);
            } else {
                assertThat(ids).hasSize(400);
            }
        }
        assertThat(samples).anyMatch(s -> s.finishReason() == FinishReason.EOS);
        assertThat(generator.generate(List.of(DOG), GenerationConfig.greedy(7)).getFirst().tokenIds()).hasSize(7);
    }

    @Test
    void noRepeatNgramAndRepetitionPenaltyStopTheGreedyLoop() {
        // Plain greedy repeats "He was very excited to see what was inside" (ids 286 399 344 444 429 275 266).
        GeneratedSample plain = generator.generate(List.of(DOG), GenerationConfig.greedy(32)).getFirst();
        assertThat(repeatedNgrams(plain.tokenIds(), 3)).isNotEmpty();
        GeneratedSample noRepeat = generator.generate(List.of(DOG),
                GenerationConfig.greedy(32).withNoRepeatNgramSize(3)).getFirst();
        assertThat(repeatedNgrams(concat(tokenizer.encode(DOG), noRepeat.tokenIds()), 3)).isEmpty();
        GeneratedSample penalised = generator.generate(List.of(DOG),
                GenerationConfig.greedy(32).withRepetitionPenalty(1.3f)).getFirst();
        assertThat(penalised.tokenIds()).isNotEqualTo(plain.tokenIds());
    }

    @Test
    void beamSearchFindsALikelierSequenceThanGreedyOnTheRealModel() {
        GenerationConfig greedy = GenerationConfig.greedy(12).withStopAtEos(false);
        GeneratedSample g = generator.generate(List.of(DOG), greedy).getFirst();
        List<GeneratedSample> beams = generator.generate(List.of(DOG), greedy.withNumBeams(4).withNumSamples(2));
        assertThat(beams).hasSize(2);
        assertThat(beams.get(0).tokenIds()).hasSize(12);
        assertThat(beams.get(0).logprob()).isGreaterThanOrEqualTo(g.logprob() - 1e-4);
        assertThat(beams.get(0).logprob()).isGreaterThanOrEqualTo(beams.get(1).logprob());
        // With and without the cache, beam reordering gives the same beams.
        List<GeneratedSample> recomputed = generator.generate(List.of(DOG),
                greedy.withNumBeams(4).withNumSamples(2).withUseKvCache(false));
        assertThat(recomputed.get(0).tokenIds()).containsExactly(beams.get(0).tokenIds());
    }

    @Test
    void beamSearchBeatsGreedyOnAConstructedCase() {
        // From BOS: token 10 (p=0.6) is followed by three equally likely tokens (p=1/3 each);
        // token 11 (p=0.4) is followed by token 30 with p=1. Greedy: 0.6 * 1/3 = 0.2; best: 0.4.
        TableModel table = new TableModel();
        table.next(1, new int[] {10, 11}, new double[] {0.6, 0.4});
        table.next(10, new int[] {20, 21, 22}, new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});
        table.next(11, new int[] {30}, new double[] {1.0});
        Generator onTable = new Generator(table, tokenizer);
        GenerationConfig config = GenerationConfig.greedy(2).withStopAtEos(false);
        GeneratedSample greedy = onTable.generate(List.of("x"), List.of(new int[] {1}), config).getFirst();
        GeneratedSample beam = onTable.generate(List.of("x"), List.of(new int[] {1}), config.withNumBeams(2)).getFirst();
        assertThat(greedy.tokenIds()).containsExactly(10, 20);
        assertThat(greedy.logprob()).isCloseTo(Math.log(0.2), within(1e-4));
        assertThat(beam.tokenIds()).containsExactly(11, 30);
        assertThat(beam.logprob()).isCloseTo(Math.log(0.4), within(1e-4));
    }

    // ---------------------------------------------------------------- helpers

    /** Logits predicting each generated token, from one full forward pass over prompt + completion. */
    static float[][] recomputedLogits(GeneratedSample s) {
        int[] prompt = tokenizer.encode(s.prompt());
        int[] all = concat(prompt, s.tokenIds());
        try (NDManager step = model.manager().newSubManager()) {
            NDArray logits = model.forward(step.create(all).reshape(1, all.length));
            int vocab = model.config().vocabSize();
            float[] flat = logits.toFloatArray();
            float[][] out = new float[s.tokenIds().length][];
            for (int t = 0; t < out.length; t++) {
                int position = prompt.length - 1 + t;
                out[t] = Arrays.copyOfRange(flat, position * vocab, (position + 1) * vocab);
            }
            return out;
        }
    }

    static int rankOf(float[] logits, int token) {
        int rank = 0;
        for (float l : logits) {
            if (l > logits[token]) {
                rank++;
            }
        }
        return rank;
    }

    static List<List<Integer>> ids(List<GeneratedSample> samples) {
        List<List<Integer>> out = new ArrayList<>();
        for (GeneratedSample s : samples) {
            out.add(Arrays.stream(s.tokenIds()).boxed().toList());
        }
        return out;
    }

    static Set<List<Integer>> repeatedNgrams(int[] ids, int n) {
        Set<List<Integer>> seen = new HashSet<>();
        Set<List<Integer>> repeated = new HashSet<>();
        for (int i = 0; i + n <= ids.length; i++) {
            List<Integer> gram = Arrays.stream(ids, i, i + n).boxed().toList();
            if (!seen.add(gram)) {
                repeated.add(gram);
            }
        }
        return repeated;
    }

    static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
