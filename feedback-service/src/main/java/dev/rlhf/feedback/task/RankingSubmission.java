package dev.rlhf.feedback.task;

import java.util.List;
import java.util.Map;

import dev.rlhf.feedback.api.WholeNumberDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * An annotator's judgement of a task, as posted: tie groups of response ids (best first), flags per
 * response id, the "none acceptable" verdict, an optional rewrite and the time spent; and, by the
 * project's feedback mode, the graded pair's {@code strength} (0 about the same, 1 better, 2 much
 * better), {@code ratings} (response id -> 1..7) or {@code labels} (response id -> true for thumbs up).
 * In the rating and binary modes the ranking may be left out: it is derived from the grades. A strength or
 * rating must be a JSON integer: 5.5 or "5" is refused rather than coerced ({@link WholeNumberDeserializer}).
 */
public record RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                                Long durationMs, @JsonDeserialize(using = WholeNumberDeserializer.class) Integer strength,
                                @JsonDeserialize(contentUsing = WholeNumberDeserializer.class) Map<String, Integer> ratings,
                                Map<String, Boolean> labels) {

    /** A ranking project's submission. */
    public RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                             Long durationMs) {
        this(ranking, flags, noneAcceptable, rewrite, durationMs, null, null, null);
    }
}
