package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.cli.TrainerCli;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Run by hand (minutes on CPU; not part of CI): reward-model accuracy of stories260K's trunk on
 * held-out pairs of the real OpenAssistant rankings and Anthropic HH-RLHF pairs, converted to the
 * export formats ({@code rankings} for OASST sibling groups, {@code pairs} for HH) and trained and
 * scored through the {@code reward} and {@code score} commands. Reported as measured in
 * trainer/README.md; the only assertion is that the commands succeed.
 * <pre>
 * ./mvnw -q -o -pl trainer -am test -Dtest=RealPreferenceAccuracyProbe -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class RealPreferenceAccuracyProbe {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int HH_TRAIN = 400;
    static final int HH_HELD_OUT = 200;

    @TempDir
    Path temp;

    @Test
    void rewardModelAccuracyOnRealOasstAndHhPairs() throws Exception {
        List<String> oasstTrain = new ArrayList<>();
        List<String> oasstHeldOut = new ArrayList<>();
        int tree = 0;
        for (String line : Files.readAllLines(SharedData.dir().resolve("data/preferences/oasst-en-100-trees.jsonl"))) {
            List<String> rankings = new ArrayList<>();
            collectOasstRankings(JSON.readTree(line).get("prompt"), "", rankings);
            (tree++ % 5 == 4 ? oasstHeldOut : oasstTrain).addAll(rankings); // every fifth tree held out
        }
        List<String> hh = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(
                SharedData.dir().resolve("data/preferences/hh-rlhf-harmless-base-test.jsonl.gz"))), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null && hh.size() < HH_TRAIN + HH_HELD_OUT; line = in.readLine()) {
                String pair = hhPair(JSON.readTree(line));
                if (pair != null) {
                    hh.add(pair);
                }
            }
        }
        Path train = temp.resolve("train.jsonl");
        List<String> trainLines = new ArrayList<>(oasstTrain);
        trainLines.addAll(hh.subList(0, HH_TRAIN));
        Files.write(train, trainLines);
        Path oasstEval = Files.write(temp.resolve("oasst-held-out.jsonl"), oasstHeldOut);
        Path hhEval = Files.write(temp.resolve("hh-held-out.jsonl"), hh.subList(HH_TRAIN, hh.size()));
        Path out = temp.resolve("rm");
        long t0 = System.nanoTime();
        int code = TrainerCli.run("reward", "--model", SharedData.stories260kModel().toString(), "--tokenizer",
                SharedData.stories260kTokenizer().toString(), "--data", train.toString(), "--out", out.toString(),
                "--eval-fraction", "0", "--epochs", "1", "--batch-size", "16", "--lr", "3e-4", "--max-length", "192",
                "--device", "cpu", "--seed", "1");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(code).isZero();
        System.out.printf("trained on %d OASST rankings + %d HH pairs in %.0f s%n", oasstTrain.size(), HH_TRAIN, seconds);
        for (Path eval : List.of(oasstEval, hhEval)) {
            System.out.print(eval.getFileName() + ": ");
            assertThat(TrainerCli.run("score", "--model", out.resolve("model").toString(), "--data", eval.toString(),
                    "--max-length", "192", "--device", "cpu")).isZero();
        }
    }

    /** Each group of ranked sibling assistant replies as a rankings export line; the prompt is the HH-style transcript. */
    static void collectOasstRankings(JsonNode message, String transcript, List<String> out) throws Exception {
        String role = message.get("role").asString();
        String here = transcript + ("prompter".equals(role) ? "\n\nHuman: " : "\n\nAssistant: ") + message.get("text").asString();
        List<JsonNode> ranked = new ArrayList<>();
        for (JsonNode reply : message.path("replies")) {
            if ("assistant".equals(reply.path("role").asString()) && reply.has("rank") && !reply.get("rank").isNull()) {
                ranked.add(reply);
            }
        }
        if ("prompter".equals(role) && ranked.size() >= 2) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", here + "\n\nAssistant:");
            List<Map<String, String>> responses = new ArrayList<>();
            Map<Integer, List<String>> byRank = new java.util.TreeMap<>();
            for (JsonNode reply : ranked) {
                String id = reply.get("message_id").asString();
                responses.add(Map.of("id", id, "text", " " + reply.get("text").asString()));
                byRank.computeIfAbsent(reply.get("rank").asInt(), r -> new ArrayList<>()).add(id);
            }
            line.put("responses", responses);
            line.put("ranking", new ArrayList<>(byRank.values()));
            line.put("source", "oasst");
            out.add(JSON.writeValueAsString(line));
        }
        for (JsonNode reply : message.path("replies")) {
            collectOasstRankings(reply, here, out);
        }
    }

    /** An HH-RLHF pair as a pairs export line: the prompt is the shared transcript up to the last "\n\nAssistant:". */
    static String hhPair(JsonNode node) throws Exception {
        String chosen = node.get("chosen").asString();
        String rejected = node.get("rejected").asString();
        int cut = chosen.lastIndexOf("\n\nAssistant:") + "\n\nAssistant:".length();
        if (cut < "\n\nAssistant:".length() || !rejected.startsWith(chosen.substring(0, cut))) {
            return null;
        }
        Map<String, String> line = new LinkedHashMap<>();
        line.put("prompt", chosen.substring(0, cut));
        line.put("chosen", chosen.substring(cut));
        line.put("rejected", rejected.substring(cut));
        line.put("source", "hh");
        return JSON.writeValueAsString(line);
    }
}
