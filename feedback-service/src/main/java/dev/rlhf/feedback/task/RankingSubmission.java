package dev.rlhf.feedback.task;

import java.util.List;
import java.util.Map;

/**
 * An annotator's ranking of a task, as posted: tie groups of response ids (best first), flags per
 * response id, the "none acceptable" verdict, an optional rewrite and the time spent.
 */
public record RankingSubmission(List<List<String>> ranking, Map<String, List<String>> flags, Boolean noneAcceptable, String rewrite,
                                Long durationMs) {
}
