package dev.rlhf.trainer.align.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reading loop of the training-data files: one JSON object per line, blank lines skipped, a bad line
 * an {@link IllegalArgumentException} naming the file and the line.
 */
final class JsonLines {

    private JsonLines() {
    }

    /**
     * Every line of {@code file} through {@code parseLine} (which may give several items per line, or none).
     *
     * @param nothingRead the message, after the file name, when no line gives anything
     */
    static <T> List<T> read(Path file, String nothingRead, Function<JsonNode, List<T>> parseLine) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": file not found");
        }
        JsonMapper json = JsonMapper.builder().build();
        List<T> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + " line " + number + ": ";
                try {
                    out.addAll(parseLine.apply(json.readTree(line)));
                } catch (JacksonException e) {
                    throw new IllegalArgumentException(where + "invalid JSON (" + e.getOriginalMessage() + ")");
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + e.getMessage());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + nothingRead);
        }
        return out;
    }
}
