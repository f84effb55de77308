package dev.rlhf.trainer.chat;

import java.util.List;
import java.util.Map;

/**
 * Renders a conversation to the text a model was trained on. The one place prompts become text:
 * serving, training on exports, generation and the simulated annotators all go through a model's
 * template (see {@link dev.rlhf.trainer.tokenizer.TextTokenizer#chatTemplate()}).
 */
public interface ChatTemplate {

    /**
     * @param messages            the conversation
     * @param addGenerationPrompt open an assistant turn at the end (for a prompt the model answers)
     * @param variables           extra template variables, as {@code apply_chat_template}'s kwargs
     *                            (e.g. {@code enable_thinking})
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables);

    /** The prompt text of a conversation the model is to answer: {@code add_generation_prompt=true}. */
    default String prompt(List<ChatMessage> conversation) {
        return render(conversation, true, Map.of());
    }

    /**
     * Whether token ids of a rendered text start with the tokenizer's BOS. False for a Hugging Face
     * template, which writes every special token itself (transformers encodes its output with
     * {@code add_special_tokens=False}); true for the {@link PlainChatTemplate}.
     */
    boolean prependsBos();
}
