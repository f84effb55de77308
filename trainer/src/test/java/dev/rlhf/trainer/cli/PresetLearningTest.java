package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.labeler.KeywordLabeler;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --preset small} learns on stories260K where the paper values do not: the same rankings
 * (a keyword labeler that prefers stories mentioning "play" ({@code -Dpreset.word}), a word no other test uses; 10% of the
 * training rankings reversed), the same step count and batch size, and {@code trainer reward} with
 * {@code --preset small} reaches a clearly higher accuracy on held-out prompts (the labeler's true
 * rankings) than with {@code --preset paper}.
 */
class PresetLearningTest {

    static final String WORD = System.getProperty("preset.word", "play");
    static final int K = 4;

    static final List<String> TRAIN_PROMPTS = List.of(
            "Once upon a time, there was a", "One day, a little girl named Lily", "Tom and his mom went to the",
            "There was a big", "The sun was shining and", "Sam had a new", "In a small house, there lived a",
            "A little bird", "Lily went to the", "One day, a little boy named Tim", "The cat and the dog",
            "Sue liked to", "It was a cold day.", "Jack saw a", "The girl and her", "Once upon a time, a little");

    static final List<String> HELD_OUT_PROMPTS = List.of(
            "Ben and his dad", "The little dog ran to the", "Mia wanted to", "It was a sunny day and",
            "Once there was a small", "Anna found a", "The boy looked at the", "Max and Lucy");

    @TempDir
    Path temp;

    @Test
    void theSmallPresetLearnsARewardModelThePaperValuesDoNotInTheSameSteps() throws Exception {
        KeywordLabeler labeler = new KeywordLabeler(WORD, 0.1, 21);
        List<RankedResponses> train = new ArrayList<>();
        List<RankedResponses> heldOut = new ArrayList<>();
        try (LoadedModel sft = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            Generator generator = new Generator(new LlamaLanguageModel(sft.model()), sft.tokenizer());
            List<GeneratedSample> samples = generator.generate(TRAIN_PROMPTS,
                    GenerationConfig.defaults().withMaxNewTokens(24).withNumSamples(24).withSeed(31L));
            for (int from = 0; from + K <= samples.size(); from += K) {
                String prompt = samples.get(from).prompt();
                List<String> responses = samples.subList(from, from + K).stream().map(GeneratedSample::completion).toList();
                train.add(new RankedResponses(prompt, responses, labeler.rank(prompt, responses)));
            }
            samples = generator.generate(HELD_OUT_PROMPTS, GenerationConfig.defaults().withMaxNewTokens(24).withNumSamples(32).withSeed(32L));
            for (int from = 0; from + K <= samples.size(); from += K) {
                String prompt = samples.get(from).prompt();
                List<String> responses = samples.subList(from, from + K).stream().map(GeneratedSample::completion).toList();
                heldOut.add(new RankedResponses(prompt, responses, labeler.trueRanking(prompt, responses)));
            }
        }
        Path trainFile = write(train, temp.resolve("train.jsonl"));
        Path heldOutFile = write(heldOut, temp.resolve("held-out.jsonl"));

        Map<String, JsonNode> results = new LinkedHashMap<>();
        for (String preset : List.of("paper", "small")) {
            CapturedRun run = CapturedRun.of("reward", "--model", SharedData.stories260kModel().toString(),
                    "--tokenizer", SharedData.stories260kTokenizer().toString(), "--data", trainFile.toString(),
                    "--eval-data", heldOutFile.toString(), "--out", temp.resolve(preset).toString(), "--device", "cpu",
                    "--preset", preset, "--max-steps", "30", "--batch-size", "16");
            assertThat(run.code()).as(run.err()).isZero();
            results.put(preset, JsonMapper.builder().build().readTree(run.out().strip()));
        }
        double paper = results.get("paper").get("eval_accuracy").asDouble();
        double small = results.get("small").get("eval_accuracy").asDouble();
        System.err.printf("reward --max-steps 30 --batch-size 16 on %d rankings ('%s'): held-out accuracy on %d pairs: "
                + "--preset paper %.3f, --preset small %.3f%n", train.size(), WORD, results.get("small").get("eval_pairs").asLong(),
                paper, small);
        assertThat(small).as("--preset small vs paper %.3f", paper).isGreaterThan(paper + 0.15);
        assertThat(small).isGreaterThan(0.8);
    }

    static Path write(List<RankedResponses> rankings, Path file) throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        List<String> lines = new ArrayList<>();
        for (RankedResponses r : rankings) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", r.prompt());
            List<Map<String, String>> responses = new ArrayList<>();
            for (int i = 0; i < r.responses().size(); i++) {
                responses.add(Map.of("id", "r" + i, "text", r.responses().get(i)));
            }
            line.put("responses", responses);
            line.put("ranking", r.ranking().groups().stream().map(g -> Arrays.stream(g).mapToObj(i -> "r" + i).toList()).toList());
            lines.add(json.writeValueAsString(line));
        }
        return Files.write(file, lines);
    }
}
