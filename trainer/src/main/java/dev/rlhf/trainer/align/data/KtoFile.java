package dev.rlhf.trainer.align.data;

import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import dev.rlhf.trainer.chat.PromptLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Reads the annotation app's {@code kto} export (TRL's unpaired format): one line per judgement,
 * {@code {"prompt", "completion", "label": true|false, ...metadata}}. The prompt is rendered by the model's chat
 * template as other readers do ({@link PromptLines}: a {@code conversation}, or {@code prompt} as a string or as
 * an array of turns); the completion is a string, or TRL's conversational form, a one-message array
 * {@code [{"role": "assistant", "content"}]}. A bad line is an {@link IllegalArgumentException} naming the file,
 * the line and the field. A line of the other preference exports ({@code pairs}, {@code rankings}, {@code messages}:
 * no {@code label}) is unpaired as the {@code kto} export does it ({@link KtoExample#unpaired}), so one file may mix them.
 */
public final class KtoFile {

    private KtoFile() {
    }

    public static List<KtoExample> read(Path file) throws IOException {
        return read(file, PlainChatTemplate.INSTANCE);
    }

    public static List<KtoExample> read(Path file, ChatTemplate template) throws IOException {
        return JsonLines.read(file, "no kto examples (no kto lines, and no ranking with a top and a bottom group)",
                node -> node.isObject() && !node.has("label") && !node.has("completion")
                        ? KtoExample.unpaired(PreferenceFile.parse(node, template))
                        : List.of(parse(node, template)));
    }

    /** One {@code kto} line, its prompt rendered with {@code template}. */
    public static KtoExample parse(JsonNode node, ChatTemplate template) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        JsonNode label = node.get("label");
        if (label == null || !label.isBoolean()) {
            throw new IllegalArgumentException("needs a boolean field \"label\" (true = desirable)");
        }
        return new KtoExample(PromptLines.prompt(node, template), completion(node.get("completion")), label.asBoolean());
    }

    private static String completion(JsonNode completion) {
        if (completion != null && completion.isString()) {
            return completion.asString();
        }
        if (completion != null && completion.isArray()) {
            List<ChatMessage> turns = ChatMessage.parse(completion, "completion");
            if (turns.size() == 1 && turns.getFirst().role().equals(ChatMessage.ASSISTANT)) {
                return turns.getFirst().content();
            }
        }
        throw new IllegalArgumentException("needs a string field \"completion\" (or one assistant message [{\"role\", \"content\"}])");
    }
}
