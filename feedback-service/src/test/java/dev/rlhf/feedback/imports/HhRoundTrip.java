package dev.rlhf.feedback.imports;

import java.util.List;

import dev.rlhf.feedback.prompt.Turn;

/** The inverse of {@link HhTranscripts#split}, for tests that check an import round-trips byte for byte. */
final class HhRoundTrip {
    private HhRoundTrip() {
    }

    /** The transcript of these turns, as HH writes it. */
    static String render(List<Turn> turns) {
        StringBuilder text = new StringBuilder();
        for (Turn turn : turns) {
            text.append(switch (turn.role()) {
                case Turn.USER -> HhTranscripts.HUMAN;
                case Turn.ASSISTANT -> HhTranscripts.ASSISTANT;
                default -> throw new IllegalArgumentException("HH transcripts have no " + turn.role() + " turns");
            }).append(' ').append(turn.content());
        }
        return text.toString();
    }

    /** The full HH transcript of a prompt answered by {@code response}: rebuilds an imported chosen or rejected string exactly. */
    static String transcript(List<Turn> prompt, String response) {
        return render(prompt) + HhTranscripts.ASSISTANT + " " + response;
    }
}
