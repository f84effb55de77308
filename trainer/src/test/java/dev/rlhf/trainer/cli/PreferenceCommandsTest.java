package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.reward.RewardScorer;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code reward}, {@code score} and {@code dpo} commands end to end on stories260K and a few
 * hand-written export lines: step-1 metrics against numbers computed by hand from the initial model,
 * the metric names of the contract, the checkpoint, and exit code 2 with one line on bad input.
 */
class PreferenceCommandsTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String ID = "00000000-0000-0000-0000-0000000000";

    @TempDir
    Path temp;

    /** Two rankings lines (K = 3 with a tie, K = 4) and two pairs lines. */
    Path preferenceData() throws Exception {
        List<String> lines = List.of(
                "{\"ranking_id\":\"" + ID + "01\",\"prompt\":\"Once upon a time, there was a little dog.\",\"responses\":["
                        + "{\"id\":\"" + ID + "11\",\"text\":\" The dog played in the park with a ball.\"},"
                        + "{\"id\":\"" + ID + "12\",\"text\":\" The dog was sad.\"},"
                        + "{\"id\":\"" + ID + "13\",\"text\":\" He ate a big red apple.\"}],"
                        + "\"ranking\":[[\"" + ID + "11\"],[\"" + ID + "12\",\"" + ID + "13\"]],\"source\":\"annotator\"}",
                "{\"ranking_id\":\"" + ID + "02\",\"prompt\":\"Lily had a cat.\",\"responses\":["
                        + "{\"id\":\"" + ID + "21\",\"text\":\" They went to the park.\"},"
                        + "{\"id\":\"" + ID + "22\",\"text\":\" The cat slept.\"},"
                        + "{\"id\":\"" + ID + "23\",\"text\":\" She sang a song.\"},"
                        + "{\"id\":\"" + ID + "24\",\"text\":\" It rained all day.\"}],"
                        + "\"ranking\":[[\"" + ID + "21\"],[\"" + ID + "23\"],[\"" + ID + "22\"],[\"" + ID + "24\"]]}",
                "{\"prompt\":\"Tim saw a bird.\",\"chosen\":\" The bird flew to the park.\",\"rejected\":\" The bird sat.\"}",
                "{\"prompt\":\"One day, Sue\",\"chosen\":\" went to the park to play.\",\"rejected\":\" stayed home.\"}");
        Path file = temp.resolve("preferences.jsonl");
        Files.write(file, lines);
        return file;
    }

    @Test
    void rewardCommandStepOneIsTheKWayLossOfTheInitialModelAndScoreReadsTheCheckpoint() throws Exception {
        Path data = preferenceData();
        Path metrics = temp.resolve("reward-metrics.jsonl");
        Path out = temp.resolve("rm");
        Run run = cli("reward", "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", data.toString(), "--out", out.toString(),
                "--metrics", metrics.toString(), "--seed", "5", "--device", "cpu", "--max-steps", "2", "--batch-size", "8",
                "--lr", "1e-3", "--eval-fraction", "0", "--margin", "0.5");
        assertThat(run.code).as(run.err).isZero();
        List<JsonNode> lines = jsonLines(metrics);
        assertThat(lines).hasSize(2);
        JsonNode first = lines.get(0);
        assertThat(first.get("phase").asString()).isEqualTo("reward");
        assertThat(first.get("step").asInt()).isEqualTo(1);
        assertThat(lines.get(1).get("step").asInt()).isEqualTo(2);

        // By hand: the initial reward model (stories260K + the seeded small head) scores every
        // response; each ranking contributes the mean of -log sigmoid(r_better - r_worse - margin)
        // over its ordered pairs, and the loss is the mean over the 4 rankings (batch 8 holds them all).
        List<RankedResponses> rankings = PreferenceFile.read(data);
        double loss = 0;
        double correct = 0;
        double margin = 0;
        int pairs = 0;
        try (LoadedModel initial = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            RewardTrainer.initialiseValueHead(initial.model(), 5);
            for (RankedResponses r : rankings) {
                double[] rewards = RewardScorer.rewards(initial.model(), initial.tokenizer(),
                        r.responses().stream().map(x -> r.prompt()).toList(), r.responses(), 512, 8);
                List<OrderedPair<Integer>> ordered = r.ranking().orderedPairs();
                double sum = 0;
                for (OrderedPair<Integer> pair : ordered) {
                    double diff = rewards[pair.better()] - rewards[pair.worse()];
                    sum += Math.log1p(Math.exp(-(diff - 0.5)));
                    correct += diff > 0 ? 1 : 0;
                    margin += diff;
                    pairs++;
                }
                loss += sum / ordered.size() / rankings.size();
            }
        }
        assertThat(pairs).isEqualTo(2 + 6 + 1 + 1);
        assertThat(first.get("loss").asDouble()).isCloseTo(loss, within(1e-5));
        assertThat(first.get("accuracy").asDouble()).isCloseTo(correct / pairs, within(1e-6));
        assertThat(first.get("margin").asDouble()).isCloseTo(margin / pairs, within(1e-5));

        Path model = out.resolve("model");
        JsonNode manifest = JSON.readTree(model.resolve(ModelCheckpoint.MANIFEST).toFile());
        assertThat(manifest.get("valueHead").asBoolean()).isTrue();
        assertThat(manifest.get("metadata").get("phase").asString()).isEqualTo("reward");
        assertThat(manifest.get("metadata").has("reward_offset")).isTrue();

        Run score = cli("score", "--model", model.toString(), "--data", data.toString(), "--device", "cpu");
        assertThat(score.code).as(score.err).isZero();
        JsonNode result = JSON.readTree(score.out.strip());
        assertThat(result.get("n").asInt()).isEqualTo(10);
        assertThat(result.get("accuracy").asDouble()).isBetween(0.0, 1.0);
    }

    /**
     * {@code --margin from-data}: a rated ranking (a 6, b 3, c 1: margins 3, 5, 2), a graded pairwise choice (strength 2),
     * a pairs line with margin 1.5 and one without (0). Step 1 is the K-way loss of the initial model with those margins.
     */
    @Test
    void rewardCommandWithMarginFromDataSubtractsEachPairsOwnMargin() throws Exception {
        Path data = temp.resolve("graded.jsonl");
        Files.write(data, List.of(
                "{\"prompt\":\"Lily had a cat.\",\"feedback_mode\":\"rating\",\"ratings\":{\"a\":6,\"b\":3,\"c\":1},\"responses\":["
                        + "{\"id\":\"a\",\"text\":\" They went to the park.\"},{\"id\":\"b\",\"text\":\" The cat slept.\"},"
                        + "{\"id\":\"c\",\"text\":\" It rained.\"}],\"ranking\":[[\"a\"],[\"b\"],[\"c\"]]}",
                "{\"prompt\":\"Tim saw a bird.\",\"feedback_mode\":\"pairwise\",\"strength\":2,\"responses\":["
                        + "{\"id\":\"x\",\"text\":\" The bird sat.\"},{\"id\":\"y\",\"text\":\" The bird flew to the park.\"}],"
                        + "\"ranking\":[[\"y\"],[\"x\"]]}",
                "{\"prompt\":\"One day, Sue\",\"chosen\":\" went to the park to play.\",\"rejected\":\" stayed home.\",\"margin\":1.5}",
                "{\"prompt\":\"Ben had a ball.\",\"chosen\":\" He threw it far.\",\"rejected\":\" It was red.\"}"));
        // margins by line, in the order of each ranking's ordered pairs: (a,b) 6-3, (a,c) 6-1, (b,c) 3-1; strength 2; 1.5; none
        double[][] margins = {{3, 5, 2}, {2}, {1.5}, {0}};
        Path metrics = temp.resolve("margin-metrics.jsonl");
        Run run = cli("reward", "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", data.toString(), "--out", temp.resolve("rm").toString(),
                "--metrics", metrics.toString(), "--seed", "5", "--device", "cpu", "--max-steps", "1", "--batch-size", "8",
                "--eval-fraction", "0", "--margin", "from-data");
        assertThat(run.code).as(run.err).isZero();
        List<RankedResponses> rankings = PreferenceFile.read(data);
        double loss = 0;
        double lossWithoutMargins = 0;
        try (LoadedModel initial = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            RewardTrainer.initialiseValueHead(initial.model(), 5);
            for (int i = 0; i < rankings.size(); i++) {
                RankedResponses r = rankings.get(i);
                double[] rewards = RewardScorer.rewards(initial.model(), initial.tokenizer(),
                        r.responses().stream().map(x -> r.prompt()).toList(), r.responses(), 512, 8);
                List<OrderedPair<Integer>> ordered = r.ranking().orderedPairs();
                assertThat(ordered).hasSize(margins[i].length);
                for (int p = 0; p < ordered.size(); p++) {
                    double diff = rewards[ordered.get(p).better()] - rewards[ordered.get(p).worse()];
                    loss += Math.log1p(Math.exp(-(diff - margins[i][p]))) / ordered.size() / rankings.size();
                    lossWithoutMargins += Math.log1p(Math.exp(-diff)) / ordered.size() / rankings.size();
                }
            }
        }
        double first = jsonLines(metrics).get(0).get("loss").asDouble();
        assertThat(first).isCloseTo(loss, within(1e-5));
        assertThat(loss - lossWithoutMargins).isGreaterThan(0.5); // the margins matter: not the plain loss
    }

    @Test
    void dpoCommandStartsAtLnTwoWithTheContractsMetricNames() throws Exception {
        Path data = preferenceData();
        Path metrics = temp.resolve("dpo-metrics.jsonl");
        Path config = temp.resolve("dpo.json");
        Files.writeString(config, "{\"max-steps\": 2, \"batch-size\": 4, \"beta\": 0.3, \"lr\": 1e-3}");
        Run run = cli("dpo", "--config", config.toString(), "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", data.toString(), "--out", temp.resolve("dpo").toString(),
                "--metrics", metrics.toString(), "--device", "cpu", "--beta", "0.1", "--loss", "sigmoid", "--label-smoothing", "0.1");
        assertThat(run.code).as(run.err).isZero();
        List<JsonNode> lines = jsonLines(metrics);
        assertThat(lines).hasSize(2); // max-steps from the config file
        JsonNode first = lines.get(0);
        List<String> names = new ArrayList<>();
        first.propertyNames().forEach(names::add);
        assertThat(names).startsWith("phase", "step", "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected");
        assertThat(first.get("phase").asString()).isEqualTo("dpo");
        // Policy = reference at step 1: h = 0, so even conservative DPO's loss is ln 2, and the implicit rewards are 0.
        assertThat(first.get("loss").asDouble()).isCloseTo(Math.log(2), within(1e-5));
        assertThat(first.get("rewards/chosen").asDouble()).isCloseTo(0, within(1e-5));
        assertThat(first.get("rewards/margins").asDouble()).isCloseTo(0, within(1e-5));
        assertThat(first.get("logps/chosen").asDouble()).isNegative();
        assertThat(ModelCheckpoint.isCheckpointDirectory(temp.resolve("dpo/model"))).isTrue();

        // IPO at step 1: (h - 1 / (2 beta))^2 with h = 0 is 1 / (4 beta^2) = 25 for beta 0.1 (flag beats the file's 0.3).
        Path ipoMetrics = temp.resolve("ipo-metrics.jsonl");
        Run ipo = cli("dpo", "--config", config.toString(), "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", data.toString(), "--out", temp.resolve("ipo").toString(),
                "--metrics", ipoMetrics.toString(), "--device", "cpu", "--beta", "0.1", "--loss", "ipo", "--max-steps", "1");
        assertThat(ipo.code).as(ipo.err).isZero();
        assertThat(jsonLines(ipoMetrics).get(0).get("loss").asDouble()).isCloseTo(25, within(1e-3));
    }

    @Test
    void badInputExitsWithTwoAndOneLineNamingTheProblem() throws Exception {
        Path bad = temp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\"a\",\"chosen\":\"b\"}\n");
        String model = SharedData.stories260kModel().toString();
        String tok = SharedData.stories260kTokenizer().toString();
        String out = temp.resolve("o").toString();

        Run missingField = cli("reward", "--model", model, "--tokenizer", tok, "--data", bad.toString(), "--out", out);
        assertThat(missingField.code).isEqualTo(2);
        assertThat(missingField.err.strip()).doesNotContain("\n").contains(bad + " line 2").contains("\"rejected\"");

        Run unknownRef = cli("reward", "--model", model, "--tokenizer", tok, "--data", rankingWithUnknownId().toString(), "--out", out);
        assertThat(unknownRef.code).isEqualTo(2);
        assertThat(unknownRef.err).contains("line 1").contains("not among \"responses\"");

        Run loss = cli("dpo", "--model", model, "--tokenizer", tok, "--data", preferenceData().toString(), "--out", out, "--loss", "hinge");
        assertThat(loss.code).isEqualTo(2);
        assertThat(loss.err.strip()).doesNotContain("\n").contains("--loss");

        Run smoothing = cli("dpo", "--model", model, "--tokenizer", tok, "--data", preferenceData().toString(), "--out", out,
                "--label-smoothing", "0.7");
        assertThat(smoothing.code).isEqualTo(2);
        assertThat(smoothing.err).contains("label-smoothing");

        Run margin = cli("reward", "--model", model, "--tokenizer", tok, "--data", preferenceData().toString(), "--out", out, "--margin", "-1");
        assertThat(margin.code).isEqualTo(2);
        assertThat(margin.err).contains("--margin");

        Run missingFile = cli("score", "--model", model, "--tokenizer", tok, "--data", temp.resolve("none.jsonl").toString());
        assertThat(missingFile.code).isEqualTo(2);
        assertThat(missingFile.err).contains("--data").contains("file not found");

        Run notRewardModel = cli("score", "--model", model, "--tokenizer", tok, "--data", preferenceData().toString(), "--device", "cpu");
        assertThat(notRewardModel.code).isEqualTo(2);
        assertThat(notRewardModel.err).contains("no value head");
    }

    Path rankingWithUnknownId() throws Exception {
        Path file = temp.resolve("unknown.jsonl");
        Files.writeString(file, "{\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"x\"},{\"id\":\"b\",\"text\":\"y\"}],"
                + "\"ranking\":[[\"a\"],[\"zzz\"]]}\n");
        return file;
    }

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        CapturedRun r = CapturedRun.of(args);
        return new Run(r.code(), r.out(), r.err());
    }

    static List<JsonNode> jsonLines(Path file) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }
}
