package dev.rlhf.trainer.align.data;

import dev.rlhf.schemas.ranking.GradedFeedback;
import dev.rlhf.trainer.align.data.RankedResponses.Feedback;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One unpaired judgement, TRL's KTO format: {@code completion} was a desirable (thumbs up) or undesirable
 * reply to {@code prompt}.
 *
 * @param prompt     the prompt text; the model reads {@code prompt + completion}
 * @param completion the completion judged
 * @param desirable  the label: true = desirable
 */
public record KtoExample(String prompt, String completion, boolean desirable) {

    /**
     * The unpaired labels of one stored ranking, as the {@code kto} export derives them (the shared contract,
     * {@link GradedFeedback#unpairedLabels}): binary mode, each labelled response; rating mode, desirable at
     * rating >= 5, undesirable at <= 3, 4 skipped; otherwise (ranking, pairwise, a line without a mode) the top tie
     * group desirable and the bottom one undesirable, the middle skipped (TRL's split of paired data), and a single
     * tie group (all tied) gives nothing.
     */
    public static List<KtoExample> unpaired(RankedResponses r) {
        Feedback feedback = r.feedback();
        List<List<Integer>> groups = r.ranking().groups().stream().map(g -> IntStream.of(g).boxed().toList()).toList();
        List<KtoExample> out = new ArrayList<>();
        GradedFeedback.unpairedLabels(feedback.mode(), groups, feedback.ratings(), feedback.labels())
                .forEach((index, desirable) -> out.add(new KtoExample(r.prompt(), r.responses().get(index), desirable)));
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
