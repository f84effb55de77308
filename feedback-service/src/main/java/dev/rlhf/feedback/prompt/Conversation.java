package dev.rlhf.feedback.prompt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import dev.rlhf.schemas.prompt.PlainTranscript;

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
     * The prompt as one text, for tools that read a string prompt (TRL's standard format, base models):
     * a single user turn is its text as is; any other conversation is the HH-RLHF transcript ending with
     * the turn to answer, {@code "\n\nHuman: ...\n\nAssistant: ...\n\nHuman: ...\n\nAssistant:"}. The one
     * text rendering of a prompt ({@link PlainTranscript}): exports and {@code RankingSubmitted.prompt} use it,
     * and so does the trainer's plain chat template, so a model without a template of its own sees the
     * same string whether it trains from an export or from the events. Models with a chat
     * template render the turns themselves (the {@code messages} export, {@code RankingSubmitted.conversation}).
     */
    public String asText() {
        return PlainTranscript.render(turns, Turn::role, Turn::content, true);
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
