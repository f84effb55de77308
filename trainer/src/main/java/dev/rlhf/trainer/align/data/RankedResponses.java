package dev.rlhf.trainer.align.data;

import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.align.reward.Ranking;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One ranking of the responses to one prompt: a {@code rankings} export line, or a {@code pairs}
 * line as the 2-response ranking {@code [[chosen], [rejected]]}.
 *
 * @param prompt    the prompt text; the model reads {@code prompt + response}
 * @param responses the response texts; {@code ranking} indexes into this list
 * @param ranking   tie groups of response indices, best first
 * @param feedback  how the labeler gave it, beyond the ranking (graded choice, ratings, thumbs, a pair's margin);
 *                  {@link Feedback#NONE} for a plain ranking
 */
public record RankedResponses(String prompt, List<String> responses, Ranking ranking, Feedback feedback) {

    public RankedResponses(String prompt, List<String> responses, Ranking ranking) {
        this(prompt, responses, ranking, Feedback.NONE);
    }

    public RankedResponses {
        responses = List.copyOf(responses);
        feedback = feedback == null ? Feedback.NONE : feedback;
        for (int[] group : ranking.groups()) {
            for (int index : group) {
                if (index >= responses.size()) {
                    throw new IllegalArgumentException("ranking refers to response " + index + " of " + responses.size());
                }
            }
        }
    }

    public static RankedResponses pair(String prompt, String chosen, String rejected) {
        return new RankedResponses(prompt, List.of(chosen, rejected), Ranking.pair(0, 1));
    }

    /** A {@code pairs} line with its {@code margin}. */
    public static RankedResponses pair(String prompt, String chosen, String rejected, double margin) {
        return new RankedResponses(prompt, List.of(chosen, rejected), Ranking.pair(0, 1), Feedback.ofPairMargin(margin));
    }

    /**
     * The margin of the ordered pair (better, worse), by response index, as the exports define it: a {@code pairs}
     * line's {@code margin}; else the shared contract's {@link GradedFeedback#margin}: in pairwise mode the graded
     * choice's {@code strength}, in rating mode {@code ratings[better] - ratings[worse]}; otherwise none.
     */
    public OptionalDouble margin(int better, int worse) {
        if (feedback.pairMargin() != null) {
            return OptionalDouble.of(feedback.pairMargin());
        }
        Double m = GradedFeedback.margin(feedback.mode(), feedback.strength(), feedback.ratings(), better, worse);
        return m == null ? OptionalDouble.empty() : OptionalDouble.of(m);
    }

    /**
     * What a labeler gave besides the tie groups (the {@code rankings} export's {@code feedback_mode},
     * {@code strength}, {@code ratings}, {@code labels}; a {@code pairs} line's {@code margin}).
     *
     * @param mode       ranking (also for lines written before the modes), pairwise, rating or binary
     * @param strength   pairwise: 0 = about the same, 1 = better, 2 = much better; null when absent
     * @param ratings    rating mode: 1..7 per response index, in the line's order
     * @param labels     binary mode: thumbs up (true) or down per response index, in the line's order
     * @param pairMargin a {@code pairs} line's {@code margin}; null when absent
     */
    public record Feedback(FeedbackMode mode, Integer strength, Map<Integer, Integer> ratings, Map<Integer, Boolean> labels,
                           Double pairMargin) {

        public static final Feedback NONE = new Feedback(FeedbackMode.RANKING, null, Map.of(), Map.of(), null);

        public Feedback {
            mode = mode == null ? FeedbackMode.RANKING : mode;
            ratings = Collections.unmodifiableMap(new LinkedHashMap<>(ratings));
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }

        public static Feedback ofPairMargin(double margin) {
            return new Feedback(FeedbackMode.RANKING, null, Map.of(), Map.of(), margin);
        }
    }

    /** Every (better, worse) pair as a preference pair; ties give none. */
    public List<PreferencePair> pairs() {
        List<PreferencePair> out = new ArrayList<>();
        for (OrderedPair<Integer> pair : ranking.orderedPairs()) {
            out.add(new PreferencePair(prompt, responses.get(pair.better()), responses.get(pair.worse())));
        }
        return out;
    }

    /** A preference: {@code chosen} is better than {@code rejected} as a reply to {@code prompt}. */
    public record PreferencePair(String prompt, String chosen, String rejected) {}
}
