package dev.rlhf.feedback.prompt;

/** One turn of a conversation. */
public record Turn(String role, String content) {
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    public static final String SYSTEM = "system";

    public Turn {
        if (role == null || !(role.equals(USER) || role.equals(ASSISTANT) || role.equals(SYSTEM))) {
            throw new IllegalArgumentException("role must be user, assistant or system, not " + role);
        }
        if (content == null) {
            throw new IllegalArgumentException("content is missing");
        }
    }
}
