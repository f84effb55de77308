package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.data.JsonLines;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PromptLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@code --data} file of prompts (generate, ppo): {@code {"prompt": ...}} or {@code {"messages": [...]}}
 * lines, rendered by the model's chat template ({@link PromptLines}); a bad line names the file and line.
 */
final class PromptFile {

    private PromptFile() {
    }

    static List<String> read(Path file, ChatTemplate template) throws IOException {
        try {
            return JsonLines.read(file, "--data " + file, "no prompts", node -> List.of(PromptLines.prompt(node, template)));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
