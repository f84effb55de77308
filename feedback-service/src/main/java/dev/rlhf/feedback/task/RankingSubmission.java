package dev.rlhf.feedback.task;

import java.util.List;
import java.util.Map;

/**
 * An annotator's judgement of a task, as posted: tie groups of response ids (best first), flags per
 * response id, the "none acceptable" verdict, an optional rewrite and the time spent; and, by the
 * project's feedback mode, the graded pair's {@code strength} (0 about the same, 1 better, 2 much
 * better), {@code ratings} (response id -> 1..7) or {@code labels} (response id -> true for thumbs up).
 * In the rating and binary modes the ranking may be left out: it is derived from the grades.
 */
public record RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                                Long durationMs, Integer strength, Map<String, Integer> ratings, Map<String, Boolean> labels) {

    /** A ranking project's submission. */
    public RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                             Long durationMs) {
        this(ranking, flags, noneAcceptable, rewrite, durationMs, null, null, null);
    }
}
