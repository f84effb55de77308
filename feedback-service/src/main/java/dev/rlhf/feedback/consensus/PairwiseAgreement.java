package dev.rlhf.feedback.consensus;

import dev.rlhf.schemas.ranking.TieGroups;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * InstructGPT's inter-annotator agreement: over pairs of annotators who ranked the same task, and
 * over the response pairs both of them ordered strictly, the share they ordered the same way.
 * A pair either of them tied is left out (a tie is neither agreement nor disagreement).
 */
public final class PairwiseAgreement {

    private PairwiseAgreement() {
    }

    /** How two rankings treat the item pairs both contain. */
    public record Comparison(long same, long opposite, long tiedInFirstOnly, long tiedInSecondOnly, long tiedInBoth) {
        /** Agreement between the two: same / (same + opposite). */
        public Rate agreement() {
            return new Rate(same, same + opposite);
        }
    }

    public static <T> Comparison compare(List<List<T>> first, List<List<T>> second) {
        Map<T, Integer> a = TieGroups.groupIndex(first);
        Map<T, Integer> b = TieGroups.groupIndex(second);
        List<T> common = new ArrayList<>();
        for (T item : a.keySet()) {
            if (b.containsKey(item)) {
                common.add(item);
            }
        }
        long same = 0, opposite = 0, tiedFirst = 0, tiedSecond = 0, tiedBoth = 0;
        for (int i = 0; i < common.size(); i++) {
            for (int j = i + 1; j < common.size(); j++) {
                int da = Integer.compare(a.get(common.get(i)), a.get(common.get(j)));
                int db = Integer.compare(b.get(common.get(i)), b.get(common.get(j)));
                if (da == 0 && db == 0) {
                    tiedBoth++;
                } else if (da == 0) {
                    tiedFirst++;
                } else if (db == 0) {
                    tiedSecond++;
                } else if (da == db) {
                    same++;
                } else {
                    opposite++;
                }
            }
        }
        return new Comparison(same, opposite, tiedFirst, tiedSecond, tiedBoth);
    }

    /** Agreement between two rankings. */
    public static <T> Rate between(List<List<T>> first, List<List<T>> second) {
        return compare(first, second).agreement();
    }

    /** Agreement among all annotator pairs of one task (each unordered pair of rankings once). */
    public static <T> Rate amongRankings(List<List<List<T>>> rankingsOfOneTask) {
        Rate total = Rate.NONE;
        for (int i = 0; i < rankingsOfOneTask.size(); i++) {
            for (int j = i + 1; j < rankingsOfOneTask.size(); j++) {
                total = total.plus(between(rankingsOfOneTask.get(i), rankingsOfOneTask.get(j)));
            }
        }
        return total;
    }
}
