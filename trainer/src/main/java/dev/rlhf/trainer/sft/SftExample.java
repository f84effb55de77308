package dev.rlhf.trainer.sft;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One supervised example: the loss covers the completion only. Plain text ({@code {"text"}})
 * is an example with an empty prompt, so every token is learned.
 */
public record SftExample(String prompt, String completion) {

    /**
     * Reads {@code {"prompt", "completion"}} or {@code {"text"}} lines; a bad line is an
     * {@link IllegalArgumentException} naming the file and line.
     */
    public static List<SftExample> readJsonl(Path file) throws IOException {
        var json = JsonMapper.builder().build();
        List<SftExample> examples = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (JacksonException e) {
                    throw new IllegalArgumentException(file + " line " + number + ": invalid JSON (" + e.getOriginalMessage() + ")");
                }
                JsonNode prompt = node.get("prompt");
                JsonNode completion = node.get("completion");
                JsonNode text = node.get("text");
                if (prompt != null && prompt.isString() && completion != null && completion.isString()) {
                    examples.add(new SftExample(prompt.asString(), completion.asString()));
                } else if (text != null && text.isString()) {
                    examples.add(new SftExample("", text.asString()));
                } else {
                    throw new IllegalArgumentException(file + " line " + number
                            + ": needs string fields \"prompt\" and \"completion\", or \"text\"");
                }
            }
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(file + ": no examples");
        }
        return examples;
    }
}
