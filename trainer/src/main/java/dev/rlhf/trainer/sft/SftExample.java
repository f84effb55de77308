package dev.rlhf.trainer.sft;

import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import dev.rlhf.trainer.chat.PromptLines;
import dev.rlhf.trainer.align.data.JsonLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One supervised example: the loss covers the completion only. Plain text ({@code {"text"}})
 * is an example with an empty prompt, so every token is learned.
 */
public record SftExample(String prompt, String completion) {

    /** {@link #readJsonl(Path, ChatTemplate)} with the plain template. */
    public static List<SftExample> readJsonl(Path file) throws IOException {
        return readJsonl(file, PlainChatTemplate.INSTANCE);
    }

    /**
     * Reads {@code {"prompt", "completion"}}, {@code {"messages": [..., assistant]}} or {@code {"text"}}
     * lines; a bad line is an {@link IllegalArgumentException} naming the file and line. A prompt (the
     * line's {@code conversation} when it has one, as the {@code sft} export writes it; else a string
     * prompt: one user turn; or messages) is rendered by {@code template} with a generation prompt and
     * the completion (a string, or TRL's {@code [{"role": "assistant", ...}]}) is the assistant turn;
     * {@code {"text"}} is plain text, learned whole, no template.
     */
    public static List<SftExample> readJsonl(Path file, ChatTemplate template) throws IOException {
        return JsonLines.read(file, "no examples", node -> List.of(parse(node, template)));
    }

    private static SftExample parse(JsonNode node, ChatTemplate template) {
        JsonNode prompt = node.get("prompt");
        JsonNode completion = node.get("completion");
        JsonNode text = node.get("text");
        JsonNode messages = node.get("messages");
        if (messages != null && messages.isArray()) {
            ChatMessage.PromptAndResponse split = ChatMessage.splitLastAssistant(
                    ChatMessage.parse(messages, "messages"), "messages");
            return new SftExample(template.render(split.prompt(), true, PromptLines.templateKwargs(node)), split.response());
        }
        if (prompt != null && (prompt.isString() || prompt.isArray()) && completion != null && completion.isArray()) {
            String response = ChatMessage.splitLastAssistant(ChatMessage.parse(completion, "completion"), "completion").response();
            return new SftExample(PromptLines.prompt(node, template), response);
        }
        if (prompt != null && (prompt.isString() || prompt.isArray()) && completion != null && completion.isString()) {
            return new SftExample(PromptLines.prompt(node, template), completion.asString());
        }
        if (text != null && text.isString()) {
            return new SftExample("", text.asString());
        }
        throw new IllegalArgumentException(
                "needs string fields \"prompt\" and \"completion\", \"messages\" ending in an assistant turn, or \"text\"");
    }
}
