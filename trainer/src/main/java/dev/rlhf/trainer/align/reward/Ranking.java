package dev.rlhf.trainer.align.reward;

import dev.rlhf.schemas.ranking.TieGroups;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * One labeler's ranking of the responses to one prompt, as indices into a batch's reward array:
 * tie groups, best group first (the {@code rankings} export's {@code ranking} field after mapping
 * response ids to batch rows). A {@code pairs} line is the ranking {@code [[chosen], [rejected]]}.
 */
public record Ranking(List<int[]> groups) {

    public Ranking {
        groups = groups.stream().map(int[]::clone).toList();
        Set<Integer> seen = new HashSet<>();
        for (int[] group : groups) {
            if (group.length == 0) {
                throw new IllegalArgumentException("a ranking has an empty tie group");
            }
            for (int index : group) {
                if (index < 0) {
                    throw new IllegalArgumentException("negative response index " + index + " in a ranking");
                }
                if (!seen.add(index)) {
                    throw new IllegalArgumentException("response index " + index + " appears twice in one ranking");
                }
            }
        }
    }

    /** A ranking of single responses, best first: {@code of(3, 1, 2)} is 3 > 1 > 2. */
    public static Ranking of(int... bestFirst) {
        return new Ranking(Arrays.stream(bestFirst).mapToObj(i -> new int[] {i}).toList());
    }

    /** A preference pair: {@code chosen} better than {@code rejected}. */
    public static Ranking pair(int chosen, int rejected) {
        return of(chosen, rejected);
    }

    /** Every (better, worse) pair across different groups, in group order; members of one group give none. */
    public List<OrderedPair<Integer>> orderedPairs() {
        return TieGroups.strictPairs(groups.stream().map(g -> IntStream.of(g).boxed().toList()).toList());
    }

    /** Number of {@link #orderedPairs()}, without building them. */
    public long pairCount() {
        return TieGroups.strictPairCountOfSizes(groups.stream().mapToInt(g -> g.length).toArray());
    }

    /** Number of responses ranked. */
    public int size() {
        return groups.stream().mapToInt(g -> g.length).sum();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Ranking other) || other.groups.size() != groups.size()) {
            return false;
        }
        for (int i = 0; i < groups.size(); i++) {
            if (!Arrays.equals(groups.get(i), other.groups.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int[] group : groups) {
            h = 31 * h + Arrays.hashCode(group);
        }
        return h;
    }

    @Override
    public String toString() {
        return groups.stream().map(Arrays::toString).toList().toString();
    }
}
