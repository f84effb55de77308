package dev.rlhf.trainer.align.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reading loop of the JSONL input files (training data, prompts, conversations): one JSON object per
 * line, blank lines skipped, a bad line an {@link IllegalArgumentException} naming the file and the line.
 */
public final class JsonLines {

    private JsonLines() {
    }

    /** {@link #read(Path, String, String, Function)} naming the file by its path. */
    public static <T> List<T> read(Path file, String nothingRead, Function<JsonNode, List<T>> parseLine) throws IOException {
        return read(file, file.toString(), nothingRead, parseLine);
    }

    /**
     * Every line of {@code file} through {@code parseLine} (which may give several items per line, or none).
     *
     * @param fileLabel how the file-level errors (not found, nothing read) name the file, e.g. with its option
     * @param nothingRead the message, after {@code fileLabel}, when no line gives anything
     */
    public static <T> List<T> read(Path file, String fileLabel, String nothingRead,
                                   Function<JsonNode, List<T>> parseLine) throws IOException {
        List<T> out = new ArrayList<>();
        forEach(file, fileLabel, parseLine, out::addAll);
        if (out.isEmpty()) {
            throw new IllegalArgumentException(fileLabel + ": " + nothingRead);
        }
        return out;
    }

    /**
     * Streams {@code file}: each line through {@code parseLine} (its errors name the line), then the result to
     * {@code use} (outside the line's error naming), one line at a time; an empty file is no error here.
     */
    public static <T> void forEach(Path file, String fileLabel, Function<JsonNode, T> parseLine, Consumer<T> use)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(fileLabel + ": file not found");
        }
        JsonMapper json = JsonMapper.builder().build();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + " line " + number + ": ";
                T parsed;
                try {
                    parsed = parseLine.apply(json.readTree(line));
                } catch (JacksonException e) {
                    throw new IllegalArgumentException(where + "invalid JSON (" + e.getOriginalMessage() + ")");
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + e.getMessage());
                }
                use.accept(parsed);
            }
        }
    }
}
