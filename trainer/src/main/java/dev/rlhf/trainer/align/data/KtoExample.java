package dev.rlhf.trainer.align.data;

import dev.rlhf.trainer.align.data.RankedResponses.Feedback;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One unpaired judgement, TRL's KTO format: {@code completion} was a desirable (thumbs up) or undesirable
 * reply to {@code prompt}.
 *
 * @param prompt     the prompt text; the model reads {@code prompt + completion}
 * @param completion the completion judged
 * @param desirable  the label: true = desirable
 */
public record KtoExample(String prompt, String completion, boolean desirable) {

    /** A rating at or above this is desirable (the feedback service's {@code kto} export threshold on the 1-7 scale). */
    public static final int DESIRABLE_RATING = 5;
    /** A rating at or below this is undesirable; between the two thresholds (4, the scale's middle) it is skipped. */
    public static final int UNDESIRABLE_RATING = 3;

    /**
     * The unpaired labels of one stored ranking, as the {@code kto} export derives them: binary mode, each
     * labelled response; rating mode, desirable at rating >= 5, undesirable at <= 3, 4 skipped; otherwise
     * (ranking, pairwise, or a line without a mode) the top tie group desirable and the bottom one undesirable,
     * the middle skipped (TRL's split of paired data), and a single tie group (all tied) gives nothing.
     */
    public static List<KtoExample> unpaired(RankedResponses r) {
        List<KtoExample> out = new ArrayList<>();
        Feedback feedback = r.feedback();
        if (Feedback.BINARY.equals(feedback.mode())) {
            for (int i = 0; i < r.responses().size(); i++) {
                Boolean label = feedback.labels().get(i);
                if (label != null) {
                    out.add(new KtoExample(r.prompt(), r.responses().get(i), label));
                }
            }
            return out;
        }
        if (Feedback.RATING.equals(feedback.mode())) {
            for (int i = 0; i < r.responses().size(); i++) {
                Integer rating = feedback.ratings().get(i);
                if (rating != null && (rating >= DESIRABLE_RATING || rating <= UNDESIRABLE_RATING)) {
                    out.add(new KtoExample(r.prompt(), r.responses().get(i), rating >= DESIRABLE_RATING));
                }
            }
            return out;
        }
        List<int[]> groups = r.ranking().groups();
        if (groups.size() < 2) {
            return out;
        }
        for (int i : groups.getFirst()) {
            out.add(new KtoExample(r.prompt(), r.responses().get(i), true));
        }
        for (int i : groups.getLast()) {
            out.add(new KtoExample(r.prompt(), r.responses().get(i), false));
        }
        return out;
    }

    /** {@link #unpaired} of every ranking, in order. */
    public static List<KtoExample> unpaired(List<RankedResponses> rankings) {
        List<KtoExample> out = new ArrayList<>();
        rankings.forEach(r -> out.addAll(unpaired(r)));
        return out;
    }

    /** Number of desirable and undesirable examples: {@code {"desirable": n, "undesirable": m}}. */
    public static Map<String, Long> counts(List<KtoExample> examples) {
        long desirable = examples.stream().filter(KtoExample::desirable).count();
        return Map.of("desirable", desirable, "undesirable", examples.size() - desirable);
    }
}
