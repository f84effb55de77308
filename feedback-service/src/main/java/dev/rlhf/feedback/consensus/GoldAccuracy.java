package dev.rlhf.feedback.consensus;

import java.util.List;

/**
 * An annotator's accuracy on a gold item: over the response pairs the gold ranking orders strictly,
 * the share the annotator ordered the same way. Unlike {@link PairwiseAgreement}, an annotator's tie
 * on a pair the gold orders counts as a miss (the gold says there is a right answer).
 */
public final class GoldAccuracy {

    private GoldAccuracy() {
    }

    public static <T> Rate of(List<List<T>> annotatorRanking, List<List<T>> goldRanking) {
        PairwiseAgreement.Comparison c = PairwiseAgreement.compare(annotatorRanking, goldRanking);
        // pairs the gold orders strictly = same + opposite + tied by the annotator only
        return new Rate(c.same(), c.same() + c.opposite() + c.tiedInFirstOnly());
    }
}
