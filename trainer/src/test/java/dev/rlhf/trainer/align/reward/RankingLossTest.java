package dev.rlhf.trainer.align.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.align.loss.LossOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

class RankingLossTest {

    /**
     * Two rankings in one batch of 6 rewards r = (2, 1, 0, 0.5, 0.5, -0.5); -log sigmoid(d) = log(1 + e^-d).
     * Ranking A: 0 > 1 > 2, pairs (0,1) d=1, (0,2) d=2, (1,2) d=1:
     *   mean = (2 * 0.3132617 + 0.1269280) / 3 = 0.2511505
     * Ranking B: 3 > {4, 5} (tie group), pairs (3,4) d=0, (3,5) d=1 (no pair between 4 and 5):
     *   mean = (ln 2 + 0.3132617) / 2 = (0.6931472 + 0.3132617) / 2 = 0.5032044
     * loss = (0.2511505 + 0.5032044) / 2 = 0.3771774 (mean over rankings of per-ranking means;
     *   the plain mean over the 5 pairs would be 0.3281735, letting A's 3 pairs outweigh B's 2)
     * accuracy = pairs with d > 0: 4 of 5 = 0.8 (the tie d = 0 counts as wrong); margin = (1+2+1+0+1)/5 = 1.0
     */
    @Test
    void lossIsTheMeanOverRankingsOfEachRankingsMeanPairwiseTerm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {2, 1, 0, 0.5f, 0.5f, -0.5f});
            LossOutput out = RankingLoss.compute(rewards, rankings(), 0);
            assertThat(out.loss().getFloat()).isCloseTo(0.3771774f, within(1e-6f));
            assertThat(out.metric("loss")).isCloseTo(0.3771774, within(1e-6));
            assertThat(out.metric("accuracy")).isCloseTo(0.8, within(1e-6));
            assertThat(out.metric("margin")).isCloseTo(1.0, within(1e-6));
        }
    }

    /**
     * d loss / d r: each pair (b, w) with weight w_p = 1 / (pairs of its ranking * 2 rankings) adds
     * -w_p sigmoid(-d) to r_b and +w_p sigmoid(-d) to r_w; sigmoid(-1) = 0.2689414, sigmoid(-2) = 0.1192029.
     * r0: -(0.2689414 + 0.1192029) / 6 = -0.0646907
     * r1: +0.2689414/6 (worse in (0,1)) - 0.2689414/6 (better in (1,2)) = 0
     * r2: +(0.1192029 + 0.2689414) / 6 = 0.0646907
     * r3: -(0.5 + 0.2689414) / 4 = -0.1922354;  r4: 0.5 / 4 = 0.125;  r5: 0.2689414 / 4 = 0.0672354
     */
    @Test
    void gradientMatchesHandComputedPairTerms() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {2, 1, 0, 0.5f, 0.5f, -0.5f});
            rewards.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(RankingLoss.compute(rewards, rankings(), 0).loss());
            }
            assertThat(rewards.getGradient().toFloatArray()).containsExactly(new float[] {
                    -0.0646907f, 0f, 0.0646907f, -0.1922354f, 0.125f, 0.0672354f}, within(1e-6f));
        }
    }

    /** Margin 1 on a pair with gap 1: -log sigmoid(1 - 1) = ln 2 = 0.6931472; without margin 0.3132617. */
    @Test
    void marginIsSubtractedFromTheRewardGap() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {1, 0});
            assertThat(RankingLoss.compute(rewards, List.of(Ranking.pair(0, 1)), 1.0).loss().getFloat())
                    .isCloseTo((float) Math.log(2), within(1e-6f));
            assertThat(RankingLoss.compute(rewards, List.of(Ranking.pair(0, 1)), 0.0).loss().getFloat())
                    .isCloseTo(0.3132617f, within(1e-6f));
        }
    }

    /**
     * Margins from the data (Llama 2's m(r)): rewards (2, 1, 0, 0.5, -0.5); ranking A 0 > 1 > 2 rated 7, 5, 4, so its pairs
     * ask for the rating differences (0,1) 2, (0,2) 3, (1,2) 1 against gaps 1, 2, 1: -log sigmoid(d - m) = softplus(m - d)
     * = softplus(1), softplus(1), softplus(0) = 1.3132617, 1.3132617, 0.6931472, mean 1.1065569; ranking B 3 > 4 has no
     * margin (0): softplus(-1) = 0.3132617. loss = (1.1065569 + 0.3132617) / 2 = 0.7099093.
     */
    @Test
    void perPairMarginsFromTheDataAreSubtractedPairByPair() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {2, 1, 0, 0.5f, -0.5f});
            int[] ratings = {7, 5, 4};
            RankingLoss.PairMargins rated = (better, worse) -> ratings[better] - ratings[worse];
            LossOutput out = RankingLoss.compute(rewards, List.of(Ranking.of(0, 1, 2), Ranking.pair(3, 4)),
                    List.of(rated, RankingLoss.PairMargins.constant(0)));
            assertThat(out.loss().getFloat()).isCloseTo(0.7099093f, within(1e-6f));
            assertThat(out.metric("margin")).isCloseTo((1 + 2 + 1 + 1) / 4.0, within(1e-6)); // the reward gap, not the margin asked
            RankingLoss.Pairs pairs = RankingLoss.Pairs.of(List.of(Ranking.of(0, 1, 2), Ranking.pair(3, 4)), 5,
                    List.of(rated, RankingLoss.PairMargins.constant(0)));
            assertThat(pairs.margin()).containsExactly(2f, 3f, 1f, 0f);
        }
    }

    /** A fully tied ranking gives no pair and is left out of the mean: the loss is the other ranking's. */
    @Test
    void tieGroupsGiveNoPairs() {
        Ranking tied = new Ranking(List.of(new int[] {0, 1, 2}));
        assertThat(tied.orderedPairs()).isEmpty();
        assertThat(new Ranking(List.of(new int[] {0}, new int[] {1, 2}, new int[] {3})).orderedPairs())
                .containsExactly(new OrderedPair<>(0, 1), new OrderedPair<>(0, 2), new OrderedPair<>(0, 3), new OrderedPair<>(1, 3), new OrderedPair<>(2, 3));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {5, -5, 0, 1, 0});
            LossOutput out = RankingLoss.compute(rewards, List.of(tied, Ranking.pair(3, 4)), 0);
            assertThat(out.loss().getFloat()).isCloseTo(0.3132617f, within(1e-6f));
            assertThatThrownBy(() -> RankingLoss.compute(rewards, List.of(tied), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no ranking");
        }
    }

    @Test
    void rejectsMalformedRankings() {
        assertThatThrownBy(() -> Ranking.of(1, 2, 1)).hasMessageContaining("twice");
        assertThatThrownBy(() -> new Ranking(List.of(new int[] {0}, new int[] {}))).hasMessageContaining("empty");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray rewards = manager.create(new float[] {1, 0});
            assertThatThrownBy(() -> RankingLoss.compute(rewards, List.of(Ranking.pair(0, 2)), 0))
                    .hasMessageContaining("response 2");
        }
    }

    private static List<Ranking> rankings() {
        return List.of(Ranking.of(0, 1, 2), new Ranking(List.of(new int[] {3}, new int[] {4, 5})));
    }
}
