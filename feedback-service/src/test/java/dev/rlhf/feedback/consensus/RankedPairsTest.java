package dev.rlhf.feedback.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class RankedPairsTest {

    private static List<List<String>> order(String... items) {
        return java.util.Arrays.stream(items).map(List::of).toList();
    }

    @Test
    void condorcetCycleIsBrokenAtTheWeakestMajority() {
        // 2x a>b>c, 2x b>c>a, 1x c>a>b
        // a over b: 2 + 1 = 3, b over a: 2       -> a->b margin 1 (3 votes)
        // b over c: 2 + 2 = 4, c over b: 1       -> b->c margin 3
        // c over a: 2 + 1 = 3, a over c: 2       -> c->a margin 1 (3 votes)
        // lock b->c, then a->b; c->a would close a->b->c->a, skipped  => a > b > c
        var abc = order("a", "b", "c");
        var bca = order("b", "c", "a");
        var cab = order("c", "a", "b");
        assertThat(RankedPairs.consensus(List.of(abc, abc, bca, bca, cab))).isEqualTo(order("a", "b", "c"));
    }

    @Test
    void equalMarginsAreLockedInFirstAppearanceOrder() {
        // a>b>c, b>c>a, c>a>b: every majority is 2 to 1 (margin 1, 2 votes).
        // Tie-break by first appearance of the winner: a->b, b->c locked; c->a closes a cycle => a > b > c
        assertThat(RankedPairs.consensus(List.of(order("a", "b", "c"), order("b", "c", "a"), order("c", "a", "b"))))
                .isEqualTo(order("a", "b", "c"));
    }

    @Test
    void itemsTheMajoritiesLeaveUnorderedShareAGroup() {
        // R1 [[a, b], [c]], R2 [[c], [a], [b]]
        // a over b: R2 only (R1 ties them) -> a->b margin 1
        // a vs c: 1 to 1, b vs c: 1 to 1   -> no majority
        // locked: a->b. Layers: nothing beats a or c => [a, c], then [b]
        var result = RankedPairs.consensus(List.of(List.of(List.of("a", "b"), List.of("c")), order("c", "a", "b")));
        assertThat(result).isEqualTo(List.of(List.of("a", "c"), List.of("b")));
    }

    @Test
    void aSingleRankingIsItsOwnConsensusTiesIncluded() {
        List<List<String>> ranking = List.of(List.of("b"), List.of("a", "c"), List.of("d"));
        assertThat(RankedPairs.consensus(List.of(ranking))).isEqualTo(ranking);
        assertThat(RankedPairs.consensus(List.of(List.of(List.of("x", "y"))))).isEqualTo(List.of(List.of("x", "y")));
    }

    @Test
    void exactlyOpposedRankingsTieEverything() {
        assertThat(RankedPairs.consensus(List.of(order("a", "b"), order("b", "a")))).isEqualTo(List.of(List.of("a", "b")));
    }
}
