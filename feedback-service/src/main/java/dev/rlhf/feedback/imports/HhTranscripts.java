package dev.rlhf.feedback.imports;

import java.util.ArrayList;
import java.util.List;

import dev.rlhf.feedback.prompt.Turn;

/**
 * HH-RLHF transcripts ({@code "\n\nHuman: ...\n\nAssistant: ..."}) read into conversations.
 *
 * <p>The layout is exact: each turn is a marker, one space, and the turn's text. The stored turn and
 * response texts are what follows {@code "\n\nHuman: "} / {@code "\n\nAssistant: "} (that one space
 * removed, any further whitespace kept), so the original chosen and rejected strings can be rebuilt
 * byte for byte. Text that does not follow the layout (a marker without its space, text before the
 * first marker) is rejected rather than stored in a form that would not round-trip.
 */
public final class HhTranscripts {

    public static final String HUMAN = "\n\nHuman:";
    public static final String ASSISTANT = "\n\nAssistant:";

    private HhTranscripts() {
    }

    /** A chosen/rejected pair split into the shared prompt and the two final assistant texts. */
    public record Split(List<Turn> prompt, String chosen, String rejected) {
    }

    /**
     * The prompt is everything up to the last {@code "\n\nAssistant:"} that both transcripts share.
     * (Usually the last one of each; a few real responses themselves contain a
     * {@code "\n\nAssistant:"}, which then stays part of the response.)
     */
    public static Split split(String chosen, String rejected) {
        int common = commonPrefixLength(chosen, rejected);
        int marker = common < ASSISTANT.length() ? -1 : chosen.lastIndexOf(ASSISTANT, common - ASSISTANT.length());
        if (marker < 0) {
            throw new InvalidLineException("\"chosen\" and \"rejected\" do not share a prompt ending in \"\\n\\nAssistant:\"");
        }
        if (marker == 0) {
            throw new InvalidLineException("\"chosen\" has no turns before its final \"\\n\\nAssistant:\"");
        }
        List<Turn> prompt = parseTurns(chosen.substring(0, marker), "chosen");
        return new Split(prompt, responseAfter(chosen, marker, "chosen"), responseAfter(rejected, marker, "rejected"));
    }

    /** Parses a transcript made only of whole turns ({@code "\n\nHuman: a\n\nAssistant: b"}). */
    public static List<Turn> parseTurns(String transcript, String field) {
        List<Turn> turns = new ArrayList<>();
        int position = 0;
        while (position < transcript.length()) {
            String role;
            String marker;
            if (transcript.startsWith(HUMAN, position)) {
                role = Turn.USER;
                marker = HUMAN;
            } else if (transcript.startsWith(ASSISTANT, position)) {
                role = Turn.ASSISTANT;
                marker = ASSISTANT;
            } else {
                throw new InvalidLineException("\"" + field + "\" must start with \"\\n\\nHuman: \"");
            }
            int textStart = position + marker.length();
            if (textStart >= transcript.length() || transcript.charAt(textStart) != ' ') {
                throw new InvalidLineException("\"" + field + "\" turn " + (turns.size() + 1) + " has no space after \""
                        + marker.strip() + "\"");
            }
            textStart++;
            int next = nextMarker(transcript, textStart);
            turns.add(new Turn(role, transcript.substring(textStart, next)));
            position = next;
        }
        return turns;
    }

    private static String responseAfter(String transcript, int marker, String field) {
        int textStart = marker + ASSISTANT.length();
        if (textStart >= transcript.length() || transcript.charAt(textStart) != ' ') {
            throw new InvalidLineException("\"" + field + "\" has no space after its final \"Assistant:\"");
        }
        return transcript.substring(textStart + 1);
    }

    private static int nextMarker(String transcript, int from) {
        int human = transcript.indexOf(HUMAN, from);
        int assistant = transcript.indexOf(ASSISTANT, from);
        if (human < 0) {
            return assistant < 0 ? transcript.length() : assistant;
        }
        return assistant < 0 ? human : Math.min(human, assistant);
    }

    private static int commonPrefixLength(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }
}
