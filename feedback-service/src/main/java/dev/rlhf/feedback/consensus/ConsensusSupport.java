package dev.rlhf.feedback.consensus;

import dev.rlhf.schemas.ranking.TieGroups;
import java.util.List;
import java.util.Map;

/**
 * How much a prompt's annotators back its consensus. For one consensus pair (chosen over rejected):
 * the share of the rankings containing both that put chosen strictly above rejected (a tie does
 * not back it). For the whole consensus: the same votes summed over all its strict pairs
 * (micro-average), the prompt's "agreement" in exports. Undefined (NaN) when the consensus orders
 * nothing (one tie group).
 */
public final class ConsensusSupport {

    private ConsensusSupport() {
    }

    public static <T> Rate ofPair(List<List<List<T>>> rankings, T chosen, T rejected) {
        long agreed = 0;
        long total = 0;
        for (List<List<T>> ranking : rankings) {
            Map<T, Integer> g = TieGroups.groupIndex(ranking);
            Integer c = g.get(chosen);
            Integer r = g.get(rejected);
            if (c == null || r == null) {
                continue;
            }
            total++;
            if (c < r) {
                agreed++;
            }
        }
        return new Rate(agreed, total);
    }

    public static <T> Rate ofConsensus(List<List<List<T>>> rankings, List<List<T>> consensus) {
        Rate sum = Rate.NONE;
        for (TieGroups.OrderedPair<T> p : TieGroups.strictPairs(consensus)) {
            sum = sum.plus(ofPair(rankings, p.better(), p.worse()));
        }
        return sum;
    }
}
