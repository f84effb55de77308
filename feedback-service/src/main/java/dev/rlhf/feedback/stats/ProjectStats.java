package dev.rlhf.feedback.stats;

import java.util.List;
import java.util.UUID;

/**
 * A project's figures, as {@code GET /api/v1/projects/{projectId}/stats} answers them. Shares are
 * null where nothing could be compared.
 *
 * @param progress share of tasks that have all their rankings (null without tasks)
 */
public record ProjectStats(UUID projectId, Counts counts, Double progress, Agreement agreement, List<AnnotatorFigures> annotators) {

    /**
     * @param tasksComplete tasks with at least {@code annotators_needed} rankings
     * @param pairs         preference pairs the rankings state (ties give none): what {@code export?format=pairs} writes
     */
    public record Counts(long prompts, long responses, long tasks, long tasksComplete, long rankings, long pairs) {
    }

    /**
     * @param pairwise            InstructGPT's agreement rate: over pairs of annotators of the same task, the share of
     *                            response pairs both ordered strictly that they ordered the same way
     * @param comparedPairs       the response pairs that rate counts
     * @param meanKendallTauB     mean Kendall tau-b over those annotator pairs (defined ones only)
     * @param krippendorffAlpha   ordinal alpha; units = (task, response), values = fractional rank positions
     * @param feedbackMode        the project's feedback mode, as its wire name
     * @param measure             the name of the field of this object that is the agreement measure suited to the mode's
     *                            scale: {@value #PAIRWISE} (ranking and pairwise), {@value #RATINGS_ALPHA_INTERVAL}
     *                            (rating) or {@value #LABELS_ALPHA_NOMINAL} (binary)
     * @param measureValue        that field's value
     * @param ratingsAlphaInterval Krippendorff's alpha, interval metric, over the ratings: units = (task, response),
     *                            values = the 1..7 ratings its annotators gave; null when no response has two ratings
     * @param ratingsAlphaOrdinal the same with the ordinal metric (the scale read as ordered categories)
     * @param labelsAlphaNominal  Krippendorff's alpha, nominal metric, over the thumbs (up = 1, down = 0)
     */
    public record Agreement(Double pairwise, long comparedPairs, Double meanKendallTauB, Double krippendorffAlpha, String feedbackMode,
                            String measure, Double measureValue, Double ratingsAlphaInterval, Double ratingsAlphaOrdinal,
                            Double labelsAlphaNominal) {

        public static final String PAIRWISE = "pairwise";
        public static final String RATINGS_ALPHA_INTERVAL = "ratingsAlphaInterval";
        public static final String LABELS_ALPHA_NOMINAL = "labelsAlphaNominal";
    }

    /**
     * @param medianSecondsPerTask median of the annotator's submitted durations (null without any)
     * @param pairwiseAgreement    agreement with the other annotators of the same tasks
     * @param goldAccuracy         share of gold pairs ordered as the gold ranking orders them (ties count as misses)
     */
    public record AnnotatorFigures(UUID annotatorId, String username, long rankings, Double medianSecondsPerTask,
                                   Double pairwiseAgreement, long comparedPairs, Double goldAccuracy, long goldPairs) {
    }
}
