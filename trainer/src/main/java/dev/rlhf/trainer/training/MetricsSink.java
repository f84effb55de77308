package dev.rlhf.trainer.training;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Where training metrics go: one record per optimizer step (or evaluation). */
@FunctionalInterface
public interface MetricsSink {

    /** @param values metric name to value, in the names the field knows (TRL / HF Trainer) */
    void record(String phase, int step, Map<String, Double> values);

    static MetricsSink none() {
        return (phase, step, values) -> {};
    }

    /** Appends {@code {"phase", "step", <metric>: value, ...}} lines to a JSONL file, flushed each time. */
    static MetricsSink jsonl(Path file) {
        ObjectMapper json = JsonMapper.builder().build();
        return (phase, step, values) -> {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("phase", phase);
            line.put("step", step);
            line.putAll(values);
            try {
                if (file.toAbsolutePath().getParent() != null) {
                    Files.createDirectories(file.toAbsolutePath().getParent());
                }
                try (BufferedWriter out = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    out.write(json.writeValueAsString(line));
                    out.newLine();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("writing metrics to " + file, e);
            }
        };
    }

    default MetricsSink and(MetricsSink other) {
        return (phase, step, values) -> {
            record(phase, step, values);
            other.record(phase, step, values);
        };
    }
}
