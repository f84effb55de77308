package dev.rlhf.schemas.ranking;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a project's annotators judge a task's responses. Every mode also yields tie groups (best first),
 * so consumers that only read the ranking keep working: a graded pair is two groups (one when "about the
 * same"), ratings group by value, thumbs up over thumbs down.
 */
public enum FeedbackMode {
    /** Order all K responses, ties allowed (InstructGPT); the default. */
    RANKING,
    /** K = 2 and a graded choice A >> B, A > B, A ~ B, B > A, B >> A (Llama 2's strength of preference). */
    PAIRWISE,
    /** Each response on a 1-7 Likert scale (InstructGPT's labelers' overall score). */
    RATING,
    /** Thumbs up or down per response (Argilla's Label question, the cheapest product signal). */
    BINARY;

    /** The name on the wire: events, REST bodies, exports and the database ({@code ranking}, {@code pairwise}, ...). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The wire name, so JSON writers that use {@code toString} (the feedback service's REST answers) write it too. */
    @Override
    public String toString() {
        return wireName();
    }

    /** The mode of a wire name, case-insensitive; null or blank is {@link #RANKING}, the default. */
    public static FeedbackMode fromWire(String name) {
        if (name == null || name.isBlank()) {
            return RANKING;
        }
        return Arrays.stream(values()).filter(m -> m.wireName().equalsIgnoreCase(name.strip())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown feedback mode '" + name + "'; known: ranking, pairwise, rating, binary"));
    }
}
