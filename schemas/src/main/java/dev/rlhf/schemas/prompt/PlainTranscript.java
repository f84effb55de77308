package dev.rlhf.schemas.prompt;

import java.util.List;
import java.util.function.Function;

/**
 * The one plain-text rendering of a conversation: the {@code prompt} text of the {@code RankingSubmitted}
 * event and of the string exports, and the trainer's template for base models without one of their own.
 * <ul>
 *   <li>a conversation of exactly one user turn is its content, unchanged (a base model continues the
 *       text: {@code "Once upon a time"} stays {@code "Once upon a time"});</li>
 *   <li>any other conversation is an HH-RLHF transcript: each turn as {@code "\n\nHuman: "},
 *       {@code "\n\nAssistant: "} or {@code "\n\nSystem: "} and its content, then
 *       {@code "\n\nAssistant:"} when a generation prompt is asked for.</li>
 * </ul>
 * Roles are the chat roles {@value #USER}, {@value #ASSISTANT} and {@value #SYSTEM} (any other reads as system).
 */
public final class PlainTranscript {

    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    public static final String SYSTEM = "system";

    private PlainTranscript() {
    }

    /**
     * @param turns               the conversation, oldest turn first, of any turn type
     * @param role                a turn's chat role
     * @param content             a turn's text
     * @param addGenerationPrompt end a transcript with {@code "\n\nAssistant:"}, for the model to continue
     */
    public static <T> String render(List<T> turns, Function<? super T, String> role, Function<? super T, String> content,
                                    boolean addGenerationPrompt) {
        if (turns.size() == 1 && USER.equals(role.apply(turns.getFirst()))) {
            return content.apply(turns.getFirst());
        }
        StringBuilder text = new StringBuilder();
        for (T turn : turns) {
            text.append("\n\n").append(speaker(role.apply(turn))).append(": ").append(content.apply(turn));
        }
        if (addGenerationPrompt) {
            text.append("\n\nAssistant:");
        }
        return text.toString();
    }

    private static String speaker(String role) {
        return switch (role) {
            case USER -> "Human";
            case ASSISTANT -> "Assistant";
            default -> "System";
        };
    }
}
