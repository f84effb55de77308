package dev.rlhf.feedback.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.consensus.GradedConsensus.Judgement;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;

class GradedConsensusTest {

    @Test
    void ratingConsensusIsTheMeanRatingPerResponseAndTheRankingByMean() {
        var alice = rated(Map.of("x", 7, "y", 2, "z", 4));
        var bob = rated(Map.of("x", 5, "y", 2, "z", 6));
        var imported = Judgement.ranking(List.of(List.of("y"), List.of("z"), List.of("x")));
        var result = GradedConsensus.of(FeedbackMode.RATING, List.of(alice, bob, imported));
        // x (7 + 5) / 2 = 6, y (2 + 2) / 2 = 2, z (4 + 6) / 2 = 5; the import has no ratings and takes no part
        assertThat(result.meanRatings()).containsOnly(entry("x", 6.0), entry("y", 2.0), entry("z", 5.0));
        assertThat(result.ranking()).containsExactly(List.of("x"), List.of("z"), List.of("y"));
        assertThat(result.meanStrength()).isNull();
        assertThat(result.majorityLabels()).isEmpty();

        // x (7 + 5) / 2 = 6 and z (6 + 6) / 2 = 6 tie; y (1 + 3) / 2 = 2
        var tied = GradedConsensus.of(FeedbackMode.RATING, List.of(rated(Map.of("x", 7, "y", 1, "z", 6)), rated(Map.of("x", 5, "y", 3, "z", 6))));
        assertThat(tied.ranking()).hasSize(2);
        assertThat(tied.ranking().getFirst()).containsExactlyInAnyOrder("x", "z");
        assertThat(tied.ranking().getLast()).containsExactly("y");
    }

    @Test
    void binaryConsensusIsTheMajorityPerResponseWithTiesLeftUnlabelled() {
        // x: up, up, down -> up; y: down, down, up -> down; z: up, down, (none from the third) -> as many: no label
        var result = GradedConsensus.of(FeedbackMode.BINARY, List.of(
                thumbs(Map.of("x", true, "y", false, "z", true)),
                thumbs(Map.of("x", true, "y", false, "z", false)),
                thumbs(Map.of("x", false, "y", true))));
        assertThat(result.majorityLabels()).containsOnly(entry("x", true), entry("y", false), entry("z", null));
        assertThat(result.ranking()).as("majority up, then no majority, then majority down")
                .containsExactly(List.of("x"), List.of("z"), List.of("y"));
        assertThat(result.meanRatings()).isEmpty();

        var allUp = GradedConsensus.of(FeedbackMode.BINARY, List.of(thumbs(Map.of("x", true, "y", true))));
        assertThat(allUp.ranking()).hasSize(1);
        assertThat(allUp.ranking().getFirst()).containsExactlyInAnyOrder("x", "y");
    }

    @Test
    void pairwiseConsensusIsRankedPairsWithTheMeanSignedStrength() {
        var muchBetter = new Judgement<>(List.of(List.of("a"), List.of("b")), 2, Map.<String, Integer>of(), Map.<String, Boolean>of());
        var better = new Judgement<>(List.of(List.of("a"), List.of("b")), 1, Map.<String, Integer>of(), Map.<String, Boolean>of());
        var against = new Judgement<>(List.of(List.of("b"), List.of("a")), 1, Map.<String, Integer>of(), Map.<String, Boolean>of());
        var same = new Judgement<>(List.of(List.of("a", "b")), 0, Map.<String, Integer>of(), Map.<String, Boolean>of());
        var imported = Judgement.ranking(List.of(List.of("b"), List.of("a")));

        // votes a > b: 2, b > a: 1 -> a > b; strengths toward a: +2, +1, -1, 0 -> 2 / 4 = 0.5 (the import has no strength)
        var result = GradedConsensus.of(FeedbackMode.PAIRWISE, List.of(muchBetter, better, against, same));
        assertThat(result.ranking()).containsExactly(List.of("a"), List.of("b"));
        assertThat(result.meanStrength()).isCloseTo(0.5, within(1e-12));

        // with the import: votes a > b 2, b > a 2 -> a tie; toward a, the first listed: still 2 / 4
        var tie = GradedConsensus.of(FeedbackMode.PAIRWISE, List.of(muchBetter, better, against, same, imported));
        assertThat(tie.ranking()).hasSize(1);
        assertThat(tie.meanStrength()).isCloseTo(0.5, within(1e-12));

        assertThat(GradedConsensus.of(FeedbackMode.PAIRWISE, List.of(imported)).meanStrength()).as("no graded pair").isNull();
    }

    @Test
    void rankingModeAndUngradedJudgementsFallBackToRankedPairs() {
        List<List<List<String>>> rankings = List.of(List.of(List.of("a"), List.of("b", "c")), List.of(List.of("b"), List.of("a"), List.of("c")),
                List.of(List.of("a"), List.of("b"), List.of("c")));
        var judgements = rankings.stream().map(Judgement::ranking).toList();
        List<List<String>> rankedPairs = RankedPairs.consensus(rankings);
        for (FeedbackMode mode : FeedbackMode.values()) {
            assertThat(GradedConsensus.of(mode, judgements).ranking()).as(mode.wireName()).isEqualTo(rankedPairs);
        }
        // a > b 2:1, a > c 3:0, b > c 2:0 (the first ranking ties them)
        assertThat(rankedPairs).containsExactly(List.of("a"), List.of("b"), List.of("c"));
    }

    private static Judgement<String> rated(Map<String, Integer> ratings) {
        return new Judgement<>(GradedFeedback.groupsFromRatings(ratings), null, ratings, Map.of());
    }

    private static Judgement<String> thumbs(Map<String, Boolean> labels) {
        return new Judgement<>(GradedFeedback.groupsFromLabels(labels), null, Map.of(), labels);
    }
}
