package dev.rlhf.schemas.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TieGroupsTest {

    private static final List<List<String>> A_OVER_TIED_BC_OVER_D = List.of(List.of("a"), List.of("b", "c"), List.of("d"));

    @Test
    void pairsAreEveryItemOverEachInALowerGroupAndTiesGiveNone() {
        // a>b a>c a>d, b>d c>d: 1*2 + 1*1 + 2*1 = 5, in group order
        assertThat(TieGroups.strictPairs(A_OVER_TIED_BC_OVER_D)).containsExactly(new OrderedPair<>("a", "b"),
                new OrderedPair<>("a", "c"), new OrderedPair<>("a", "d"), new OrderedPair<>("b", "d"), new OrderedPair<>("c", "d"));
        assertThat(TieGroups.strictPairs(List.of(List.of("a", "b", "c", "d")))).isEmpty();
        // A strict order of K = 4 gives K choose 2 = 6 pairs.
        assertThat(TieGroups.strictPairs(List.of(List.of("a"), List.of("b"), List.of("c"), List.of("d")))).hasSize(6);
        // A preference pair is the ranking [[chosen], [rejected]].
        assertThat(TieGroups.strictPairs(List.of(List.of(7), List.of(3)))).containsExactly(new OrderedPair<>(7, 3));
    }

    @Test
    void pairCountMatchesTheListedPairsWithoutBuildingThem() {
        // 4 items: C(4,2) = 6 pairs, minus the 1 pair inside [b, c] = 5
        assertThat(TieGroups.strictPairCount(A_OVER_TIED_BC_OVER_D)).isEqualTo(5);
        assertThat(TieGroups.strictPairCountOfSizes(1, 2, 1)).isEqualTo(5);
        // [a b c] > [d e]: 3*2 = 6; one group of 5: 0; no groups: 0
        assertThat(TieGroups.strictPairCountOfSizes(3, 2)).isEqualTo(6);
        assertThat(TieGroups.strictPairCountOfSizes(5)).isZero();
        assertThat(TieGroups.strictPairCount(List.of())).isZero();
    }

    @Test
    void fractionalRanksShareTheMeanPosition() {
        // [[a], [b, c], [d]]: b and c occupy positions 2 and 3 -> 2.5 each
        assertThat(TieGroups.fractionalRanks(A_OVER_TIED_BC_OVER_D)).isEqualTo(Map.of("a", 1.0, "b", 2.5, "c", 2.5, "d", 4.0));
    }

    @Test
    void groupIndexIsTheGroupPositionBestFirst() {
        assertThat(TieGroups.groupIndex(A_OVER_TIED_BC_OVER_D)).isEqualTo(Map.of("a", 0, "b", 1, "c", 1, "d", 2));
    }
}
