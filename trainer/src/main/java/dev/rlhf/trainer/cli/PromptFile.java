package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PromptLines;
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
 * A {@code --data} file of prompts (generate, ppo): {@code {"prompt": ...}} or {@code {"messages": [...]}}
 * lines, rendered by the model's chat template ({@link PromptLines}); a bad line names the file and line.
 */
final class PromptFile {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private PromptFile() {
    }

    static List<String> read(Path file, ChatTemplate template) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("--data " + file + ": file not found");
        }
        List<String> prompts = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            int lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JacksonException e) {
                    throw new BadInputException(file + " line " + lineNumber + ": invalid JSON (" + e.getOriginalMessage() + ")");
                }
                try {
                    prompts.add(PromptLines.prompt(node, template));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(file + " line " + lineNumber + ": " + e.getMessage());
                }
            }
        }
        if (prompts.isEmpty()) {
            throw new BadInputException("--data " + file + ": no prompts");
        }
        return prompts;
    }
}
