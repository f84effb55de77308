package dev.rlhf.trainer.chat;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One turn of a conversation, as Hugging Face chat templates and the {@code messages} export write it:
 * {@code {"role": "system" | "user" | "assistant" | ..., "content": "..."}}.
 */
public record ChatMessage(String role, String content) {

    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";

    public ChatMessage {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("a message needs a \"role\"");
        }
        if (content == null) {
            throw new IllegalArgumentException("a message needs a string \"content\"");
        }
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }

    /** A plain prompt as a conversation: one user turn. */
    public static List<ChatMessage> userPrompt(String text) {
        return List.of(user(text));
    }

    /**
     * A JSON array of {@code {"role", "content"}} objects.
     *
     * @param field the field name, for the error message
     * @throws IllegalArgumentException naming the field and the bad element
     */
    public static List<ChatMessage> parse(JsonNode array, String field) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an array of {\"role\", \"content\"} messages");
        }
        List<ChatMessage> messages = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode m = array.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isString() || role.asString().isBlank() || content == null || !content.isString()) {
                throw new IllegalArgumentException("\"" + field + "\"[" + i + "] must be {\"role\": string, \"content\": string}");
            }
            messages.add(new ChatMessage(role.asString(), content.asString()));
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("\"" + field + "\" has no messages");
        }
        return List.copyOf(messages);
    }

    /**
     * A conversation that ends in an assistant turn, split into the prompt (the turns before it) and
     * the response (its content), as TRL splits the conversational preference format.
     */
    public record PromptAndResponse(List<ChatMessage> prompt, String response) {}

    public static PromptAndResponse splitLastAssistant(List<ChatMessage> conversation, String field) {
        if (conversation.size() < 2 || !conversation.getLast().role().equals(ASSISTANT)) {
            throw new IllegalArgumentException("\"" + field + "\" must end with an assistant turn after at least one prompt turn");
        }
        return new PromptAndResponse(List.copyOf(conversation.subList(0, conversation.size() - 1)), conversation.getLast().content());
    }
}
