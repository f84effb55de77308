package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Hugging Face fixtures in ../shared/data/models against their reference.json, computed by an
 * independent float32 re-implementation of transformers: last-position logits within the suggested
 * tolerance and 16 greedy tokens exactly, by a full forward pass per token and by the Generator
 * (KV cache). Qwen2 exercises q/k/v biases and bf16 weights, Qwen3 q/k norm and an explicit
 * head_dim, llama3 the rope scaling and an untied head, TinyStories real weights tied as lm_head.
 */
class HuggingFaceReferenceTest {

    static final List<String> FIXTURES = List.of("tiny-random-qwen2", "tiny-random-qwen3", "tiny-random-llama3", "tinystories-656k-hf");

    static Path fixture(String name) {
        return SharedData.dir().resolve("data/models").resolve(name);
    }

    static JsonNode reference(String name) {
        return JsonMapper.builder().build().readTree(fixture(name).resolve("reference.json").toFile());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-qwen2", "tiny-random-qwen3", "tiny-random-llama3", "tinystories-656k-hf"})
    void lastLogitsAndGreedyTokensMatchTheReference(String name) throws Exception {
        JsonNode ref = reference(name);
        double tolerance = ref.path("suggested_tolerance").path("logits_abs").asDouble();
        try (LoadedModel loaded = ModelLoader.load(fixture(name), null, Device.cpu())) {
            LlamaModel model = loaded.model();
            assertThat(model.config().ropeInverseFrequencies())
                    .containsExactly(floats(ref.path("rope_inv_freq")), within(1e-6f * 2));
            double maxDiff = 0;
            for (JsonNode c : ref.path("cases")) {
                int[] prompt = ints(c.path("input_ids"));
                float[] logits = lastLogits(model, prompt);
                maxDiff = Math.max(maxDiff, compareLogits(name + "/" + c.path("name").asString(), logits, c, ref));
                int[] expected = ints(c.path("greedy_new_ids"));
                assertThat(greedyByFullForward(model, prompt, expected.length)).as(name + " full-forward greedy")
                        .containsExactly(expected);
                assertThat(generatorGreedy(loaded, prompt, expected.length)).as(name + " Generator greedy")
                        .containsExactly(expected);
            }
            System.out.printf("%s: max |logit diff| vs reference.json = %.3g (tolerance %.0e)%n", name, maxDiff, tolerance);
            if (ref.has("bos_story")) {
                int[] story = ints(ref.path("bos_story").path("greedy_new_ids"));
                assertThat(generatorGreedy(loaded, ints(ref.path("bos_story").path("input_ids")), story.length))
                        .as("TinyStories story from BOS").containsExactly(story);
            }
        }
    }

    /** Largest |difference| seen; asserts the tolerances of reference.json. */
    private static double compareLogits(String what, float[] logits, JsonNode c, JsonNode ref) {
        JsonNode tol = ref.path("suggested_tolerance");
        double abs = tol.path("logits_abs").asDouble();
        double maxDiff = 0;
        if (c.has("last_logits")) {
            float[] expected = floats(c.path("last_logits"));
            assertThat(logits).as(what).hasSize(expected.length);
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(logits[i] - expected[i]));
            }
            assertThat(maxDiff).as(what + " max |logit diff|").isLessThanOrEqualTo(abs);
            return maxDiff;
        }
        // vocab 151936: the top 20, the special and padding rows, and sums over all logits.
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        Set<Integer> ourTop = new HashSet<>(Arrays.asList(order).subList(0, 20));
        Set<Integer> theirTop = new HashSet<>();
        for (JsonNode pair : c.path("last_logits_top20")) {
            int id = pair.get(0).asInt();
            theirTop.add(id);
            double diff = Math.abs(logits[id] - pair.get(1).asDouble());
            maxDiff = Math.max(maxDiff, diff);
            assertThat(diff).as(what + " logit of top id " + id).isLessThanOrEqualTo(abs);
        }
        assertThat(ourTop).as(what + " top 20 ids").isEqualTo(theirTop);
        for (Map.Entry<String, JsonNode> e : c.path("last_logits_selected").properties()) {
            double diff = Math.abs(logits[Integer.parseInt(e.getKey())] - e.getValue().asDouble());
            maxDiff = Math.max(maxDiff, diff);
            assertThat(diff).as(what + " logit of id " + e.getKey()).isLessThanOrEqualTo(abs);
        }
        double sum = 0;
        double squares = 0;
        for (float v : logits) {
            sum += v;
            squares += (double) v * v;
        }
        assertThat(sum).as(what + " sum").isCloseTo(c.path("last_logits_sum").asDouble(), within(tol.path("logits_sum_abs").asDouble()));
        double expectedSquares = c.path("last_logits_sum_of_squares").asDouble();
        assertThat(Math.abs(squares - expectedSquares) / expectedSquares).as(what + " sum of squares (relative)")
                .isLessThanOrEqualTo(tol.path("logits_sum_of_squares_rel").asDouble());
        return maxDiff;
    }

    static float[] lastLogits(LlamaModel model, int[] prompt) {
        try (NDManager step = model.manager().newSubManager()) {
            return model.forward(step.create(prompt).reshape(1, prompt.length)).get("0, -1, :").toFloatArray();
        }
    }

    /** Greedy decoding with no cache: the whole sequence through the model for each new token. */
    static int[] greedyByFullForward(LlamaModel model, int[] prompt, int steps) {
        int[] sequence = Arrays.copyOf(prompt, prompt.length + steps);
        for (int t = 0; t < steps; t++) {
            float[] logits = lastLogits(model, Arrays.copyOf(sequence, prompt.length + t));
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            sequence[prompt.length + t] = best;
        }
        return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
    }

    /** Greedy decoding through the Generator (KV cache), prompt given as ids; EOS is not among the expected ids. */
    static int[] generatorGreedy(LoadedModel loaded, int[] prompt, int steps) {
        Generator generator = new Generator(new LlamaLanguageModel(loaded.model()), loaded.tokenizer());
        List<int[]> prompts = new ArrayList<>();
        prompts.add(prompt);
        GeneratedSample sample = generator.generate(List.of(""), prompts, GenerationConfig.greedy(steps)).getFirst();
        return sample.tokenIds();
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }
}
