package dev.rlhf.trainer.chat;

import java.util.List;
import java.util.Map;

/**
 * The template of base models that have none of their own (llama2.c models such as stories260K,
 * TinyStories), documented in trainer/README.md, section "Chat templates":
 * <ul>
 *   <li>a conversation of exactly one user turn is its content, unchanged (a base model continues the
 *       text: {@code "Once upon a time"} stays {@code "Once upon a time"});</li>
 *   <li>any other conversation is an HH-RLHF transcript: each turn as {@code "\n\nHuman: "},
 *       {@code "\n\nAssistant: "} or {@code "\n\nSystem: "} and its content, then
 *       {@code "\n\nAssistant:"} when a generation prompt is asked for;</li>
 *   <li>token ids are BOS followed by the text's tokens; a response is closed by EOS.</li>
 * </ul>
 * This is the prompt text the feedback service writes into {@code pairs} exports and events, so
 * training from either sees the same tokens.
 */
public final class PlainChatTemplate implements ChatTemplate {

    public static final PlainChatTemplate INSTANCE = new PlainChatTemplate();

    private PlainChatTemplate() {}

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        if (messages.size() == 1 && messages.getFirst().role().equals(ChatMessage.USER)) {
            return messages.getFirst().content();
        }
        StringBuilder text = new StringBuilder();
        for (ChatMessage m : messages) {
            text.append("\n\n").append(speaker(m.role())).append(": ").append(m.content());
        }
        if (addGenerationPrompt) {
            text.append("\n\nAssistant:");
        }
        return text.toString();
    }

    private static String speaker(String role) {
        return switch (role) {
            case ChatMessage.USER -> "Human";
            case ChatMessage.ASSISTANT -> "Assistant";
            default -> "System";
        };
    }

    @Override
    public boolean prependsBos() {
        return true;
    }

    @Override
    public String toString() {
        return "plain";
    }
}
