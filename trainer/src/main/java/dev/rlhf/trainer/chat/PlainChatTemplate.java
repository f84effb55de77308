package dev.rlhf.trainer.chat;

import dev.rlhf.schemas.prompt.PlainTranscript;
import java.util.List;
import java.util.Map;

/**
 * The template of base models that have none of their own (llama2.c models such as stories260K,
 * TinyStories), documented in trainer/README.md, section "Chat templates": the text is the shared
 * {@link PlainTranscript} (a single user turn as is, anything else as an HH-RLHF transcript), the
 * prompt text the feedback service writes into {@code pairs} exports and events, so training from
 * either sees the same tokens; token ids are BOS followed by the text's tokens; a response is closed by EOS.
 */
public final class PlainChatTemplate implements ChatTemplate {

    public static final PlainChatTemplate INSTANCE = new PlainChatTemplate();

    private PlainChatTemplate() {}

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        return PlainTranscript.render(messages, ChatMessage::role, ChatMessage::content, addGenerationPrompt);
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
