package dev.rlhf.feedback.prompt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A prompt as the turns leading up to the response to rank. Multi-turn prompts (HH-RLHF, OASST)
 * keep their structure; a plain prompt is a single user turn.
 */
public record Conversation(List<Turn> turns) {

    public Conversation {
        if (turns == null || turns.isEmpty()) {
            throw new IllegalArgumentException("a prompt needs at least one turn");
        }
        turns = List.copyOf(turns);
    }

    public static Conversation ofUser(String text) {
        return new Conversation(List.of(new Turn(Turn.USER, text)));
    }

    /**
     * The prompt as one text, the way HH-RLHF writes transcripts ("\n\nHuman: ...\n\nAssistant:"
     * prefix excluded for a single user turn, which is returned as is).
     */
    public String asText() {
        if (turns.size() == 1 && turns.getFirst().role().equals(Turn.USER)) {
            return turns.getFirst().content();
        }
        return turns.stream().map(t -> "\n\n" + speaker(t.role()) + ": " + t.content()).collect(Collectors.joining());
    }

    private static String speaker(String role) {
        return switch (role) {
            case Turn.USER -> "Human";
            case Turn.ASSISTANT -> "Assistant";
            default -> "System";
        };
    }

    /** Hex SHA-256 over the roles and contents, unambiguous: equal conversations hash equally. */
    public String contentHash() {
        MessageDigest digest = sha256();
        for (Turn t : turns) {
            update(digest, t.role());
            update(digest, t.content());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String contentHash(String text) {
        MessageDigest digest = sha256();
        update(digest, text);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
