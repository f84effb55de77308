package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.health.TextHealth;
import dev.rlhf.trainer.serve.StateLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code trainer versions}: the health table of every policy version a {@code serve} state
 * directory holds (the same numbers it published as {@code health/...} metrics), promoted or not and
 * why, read from each version's {@code health.json}; with {@code --word}, also the share of each
 * version's probe samples that use a word (the demo's simulated annotators prefer one).
 */
@Command(name = "versions", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the health of every policy version of a serve state directory.")
public class VersionsCommand implements Callable<Integer> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "./data/trainer", description = "The serve state directory (default ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--word", paramLabel = "WORD", description = "Also print the share of each version's probe samples that use this word.")
    String word;

    @Option(names = "--json", description = "One JSON object per version instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(stateDir)) {
            throw new BadInputException("--state-dir " + stateDir + ": no such directory");
        }
        List<Row> rows = new ArrayList<>();
        StateLayout layout = new StateLayout(stateDir, null);
        if (Files.exists(layout.health(0))) {
            rows.add(row(0, layout.health(0), layout.probeSamples(0)));
        }
        if (Files.isDirectory(layout.policies())) {
            try (Stream<Path> dirs = Files.list(layout.policies())) {
                for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("v\\d+")).toList()) {
                    int version = Integer.parseInt(dir.getFileName().toString().substring(1));
                    if (Files.exists(layout.health(version))) {
                        rows.add(row(version, layout.health(version), layout.probeSamples(version)));
                    }
                }
            }
        }
        rows.sort(Comparator.comparingInt(Row::version));
        if (rows.isEmpty()) {
            System.out.println("No version has been measured yet in " + stateDir + " (health is measured at the end of each round).");
            return 0;
        }
        if (json) {
            for (Row r : rows) {
                System.out.println(JSON.writeValueAsString(r));
            }
            return 0;
        }
        String wordColumn = word == null ? "" : String.format(Locale.ROOT, " %8s", "'" + word + "'");
        System.out.printf(Locale.ROOT, "%-7s %-9s %9s %9s %9s %7s %7s %6s %8s%s  %s%n", "version", "promoted", "KL/token", "KL/sample",
                "distinct2", "repeat", "length", "eos", "score", wordColumn, "why not promoted");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-7s %-9s %9.4f %9.3f %9.3f %7.3f %7.1f %6.2f %8s%s  %s%n", "v" + r.version(),
                    r.promoted() ? "yes" : "no", r.klPerToken(), r.klPerSample(), r.distinct2(), r.repeatRate(), r.length(), r.eosRate(),
                    Double.isNaN(r.score()) ? "-" : String.format(Locale.ROOT, "%.3f", r.score()),
                    word == null ? "" : String.format(Locale.ROOT, " %8.3f", r.wordRate()), r.why());
        }
        return 0;
    }

    record Row(int version, boolean promoted, double klPerToken, double klPerSample, double distinct2, double repeatRate, double length,
               double eosRate, double score, double wordRate, int samples, String why) {}

    private Row row(int version, Path healthFile, Path samplesFile) throws IOException {
        JsonNode h = JSON.readTree(healthFile.toFile());
        JsonNode m = h.get("metrics");
        List<String> why = new ArrayList<>();
        h.path("rejected_because").forEach(reason -> why.add(reason.asString()));
        double wordRate = Double.NaN;
        if (word != null && Files.exists(samplesFile)) {
            List<String> completions = new ArrayList<>();
            for (String line : Files.readAllLines(samplesFile)) {
                if (!line.isBlank()) {
                    completions.add(JSON.readTree(line).get("completion").asString());
                }
            }
            wordRate = TextHealth.wordRate(completions, word);
        }
        return new Row(version, h.get("promoted").asBoolean(), m.path("health/kl_to_sft").asDouble(), m.path("health/kl_to_sft_seq").asDouble(),
                m.path("health/distinct2").asDouble(), m.path("health/repeat_rate").asDouble(), m.path("health/length").asDouble(),
                m.path("health/eos_rate").asDouble(), m.has("health/score") ? m.get("health/score").asDouble() : Double.NaN, wordRate,
                m.path("health/samples").asInt(), String.join("; ", why));
    }
}
