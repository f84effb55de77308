package dev.rlhf.trainer.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The prompt of a data line, as a conversation, and its rendering: the one way every {@code --data}
 * reader (and {@code trainer serve}'s stores) turns a line into the prompt the model sees.
 * <ul>
 *   <li>{@code "messages": [...]}: the conversation (a final assistant turn, the response to it, is left out);</li>
 *   <li>{@code "conversation": [...]} (the {@code rankings}, {@code consensus}, {@code pairs}, {@code sft} and
 *       {@code kto} exports), when not empty: preferred to the line's {@code prompt} string, which for a
 *       multi-turn prompt is the HH transcript and would otherwise reach a chat template as one user turn;</li>
 *   <li>{@code "prompt"}: a string is one user turn; an array is the conversation (TRL's conversational prompt).</li>
 * </ul>
 * An optional {@code "template_kwargs": {...}} passes variables to the template (e.g. {@code enable_thinking}).
 */
public final class PromptLines {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private PromptLines() {}

    /** @throws IllegalArgumentException naming the field that is missing or malformed */
    public static List<ChatMessage> conversation(JsonNode line) {
        JsonNode messages = line.get("messages");
        if (messages != null && !messages.isNull()) {
            List<ChatMessage> turns = ChatMessage.parse(messages, "messages");
            if (turns.size() > 1 && turns.getLast().role().equals(ChatMessage.ASSISTANT)) {
                return List.copyOf(turns.subList(0, turns.size() - 1));
            }
            return turns;
        }
        JsonNode conversation = line.get("conversation");
        if (conversation != null && conversation.isArray() && !conversation.isEmpty()) {
            return ChatMessage.parse(conversation, "conversation");
        }
        JsonNode prompt = line.get("prompt");
        if (prompt != null && prompt.isString()) {
            return ChatMessage.userPrompt(prompt.asString());
        }
        if (prompt != null && prompt.isArray()) {
            return ChatMessage.parse(prompt, "prompt");
        }
        throw new IllegalArgumentException("needs a string field \"prompt\" (or \"prompt\"/\"messages\" as an array of {\"role\", \"content\"} messages)");
    }

    /** The line's {@code template_kwargs}, or none. */
    public static Map<String, Object> templateKwargs(JsonNode line) {
        JsonNode kwargs = line.get("template_kwargs");
        if (kwargs == null || kwargs.isNull()) {
            return Map.of();
        }
        if (!kwargs.isObject()) {
            throw new IllegalArgumentException("\"template_kwargs\" must be an object");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        kwargs.properties().forEach(e -> out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        return out;
    }

    /** The prompt text of the line: its conversation rendered with a generation prompt. */
    public static String prompt(JsonNode line, ChatTemplate template) {
        return template.render(conversation(line), true, templateKwargs(line));
    }
}
