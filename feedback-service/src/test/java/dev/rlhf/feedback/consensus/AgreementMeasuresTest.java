package dev.rlhf.feedback.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

class AgreementMeasuresTest {

    // R1 a>b>c>d, R2 b>a>c>d (a/b swapped), R3 [a b]>c>d (a/b tied)
    private static final List<List<String>> R1 = List.of(List.of("a"), List.of("b"), List.of("c"), List.of("d"));
    private static final List<List<String>> R2 = List.of(List.of("b"), List.of("a"), List.of("c"), List.of("d"));
    private static final List<List<String>> R3 = List.of(List.of("a", "b"), List.of("c"), List.of("d"));

    @Test
    void pairwiseAgreementCountsOnlyPairsBothOrderStrictly() {
        // R1 vs R2: ab opposite; ac ad bc bd cd same -> 5 / 6
        assertThat(PairwiseAgreement.between(R1, R2)).isEqualTo(new Rate(5, 6));
        // R1 vs R3: ab tied in R3, left out; the other 5 same -> 5 / 5
        assertThat(PairwiseAgreement.between(R1, R3)).isEqualTo(new Rate(5, 5));
        // task with all three: (R1,R2) 5/6 + (R1,R3) 5/5 + (R2,R3) 5/5 = 15 / 16 = 0.9375
        Rate task = PairwiseAgreement.amongRankings(List.of(R1, R2, R3));
        assertThat(task).isEqualTo(new Rate(15, 16));
        assertThat(task.value()).isEqualTo(0.9375);
    }

    @Test
    void kendallTauBHandlesTies() {
        // R1 vs R2: n0 = 6, concordant 5, discordant 1, no ties: (5 - 1) / sqrt(6 * 6) = 0.6667
        assertThat(KendallTauB.between(R1, R2)).isCloseTo(4.0 / 6.0, within(1e-12));
        // R1 vs R3: concordant 5, discordant 0, R3 ties 1 pair: 5 / sqrt(6 * (6 - 1)) = 5 / sqrt(30) = 0.91287
        assertThat(KendallTauB.between(R1, R3)).isCloseTo(0.9128709291752769, within(1e-12));
        // reversed order: (0 - 6) / 6 = -1
        assertThat(KendallTauB.between(R1, List.of(List.of("d"), List.of("c"), List.of("b"), List.of("a")))).isEqualTo(-1.0);
        // one ranking ties everything: denominator sqrt(6 * 0) = 0, undefined
        assertThat(KendallTauB.between(R1, List.of(List.of("a", "b", "c", "d")))).isNaN();
    }

    @Test
    void goldAccuracyCountsAnnotatorTiesAsMisses() {
        var gold = List.of(List.of("a"), List.of("b"), List.of("c"));
        // gold pairs ab ac bc; annotator ties ab (miss), orders ac and bc like the gold -> 2 / 3
        assertThat(GoldAccuracy.of(List.of(List.of("a", "b"), List.of("c")), gold)).isEqualTo(new Rate(2, 3));
        assertThat(GoldAccuracy.of(List.of(List.of("c"), List.of("b"), List.of("a")), gold)).isEqualTo(new Rate(0, 3));
        // a gold tie is not scored: gold [[a, b], [c]] has 2 pairs, annotator a>b>c gets both
        assertThat(GoldAccuracy.of(gold, List.of(List.of("a", "b"), List.of("c")))).isEqualTo(new Rate(2, 2));
    }

    @Test
    void consensusSupportIsTheShareOfRankingsBackingEachPair() {
        // a>b>c, a>c>b, b>a>c -> consensus a>b>c (a->c 3:0, a->b 2:1, b->c 2:1)
        var rankings = List.of(List.of(List.of("a"), List.of("b"), List.of("c")), List.of(List.of("a"), List.of("c"), List.of("b")),
                List.of(List.of("b"), List.of("a"), List.of("c")));
        var consensus = RankedPairs.consensus(rankings);
        assertThat(consensus).isEqualTo(List.of(List.of("a"), List.of("b"), List.of("c")));
        assertThat(ConsensusSupport.ofPair(rankings, "a", "b")).isEqualTo(new Rate(2, 3));
        // ab 2/3 + ac 3/3 + bc 2/3 = 7 / 9
        assertThat(ConsensusSupport.ofConsensus(rankings, consensus)).isEqualTo(new Rate(7, 9));
    }

    @Test
    void krippendorffOrdinalAlphaMatchesThePublishedExample() {
        // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units with
        // missing values; published alpha: nominal 0.743, ordinal 0.815, interval 0.849. Columns = units.
        Double n = null;
        Double[][] observers = {
                {1d, 2d, 3d, 3d, 2d, 1d, 4d, 1d, 2d, n, n, n},
                {1d, 2d, 3d, 3d, 2d, 2d, 4d, 1d, 2d, 5d, n, 3d},
                {n, 3d, 3d, 3d, 2d, 3d, 4d, 2d, 2d, 5d, 1d, n},
                {1d, 2d, 3d, 3d, 2d, 4d, 4d, 1d, 2d, 5d, 1d, n}};
        var alpha = new KrippendorffAlpha();
        for (int unit = 0; unit < 12; unit++) {
            var values = new java.util.ArrayList<Double>();
            for (Double[] observer : observers) {
                if (observer[unit] != null) {
                    values.add(observer[unit]);
                }
            }
            alpha.addUnit(values); // unit 12 has one value: not pairable, skipped
        }
        assertThat(alpha.alpha()).isCloseTo(0.815, within(0.0005));
    }

    @Test
    void krippendorffOrdinalAlphaOnTwoRankings() {
        // Annotator A ranks x,y,z as 1,2,3; B as 1,3,2. Units x:(1,1) y:(2,3) z:(3,2), each m = 2, weight 1.
        // coincidences o11 = 2, o23 = o32 = 2; n1 = n2 = n3 = 2, n = 6
        // delta2(1,2) = (n1+n2 - (n1+n2)/2)^2 = (4-2)^2 = 4; delta2(2,3) = 4; delta2(1,3) = (6 - 2)^2 = 16
        // observed  = o23*4 + o32*4 = 16
        // expected  = 2 * (2*2*4 + 2*2*4 + 2*2*16) = 2 * 96 = 192
        // alpha = 1 - (6 - 1) * 16 / 192 = 1 - 80/192 = 0.583333
        double alpha = KrippendorffAlpha.ordinal(List.of(List.of(1.0, 1.0), List.of(2.0, 3.0), List.of(3.0, 2.0)));
        assertThat(alpha).isCloseTo(1 - 80.0 / 192.0, within(1e-12));
        // perfect agreement -> 1; a single value everywhere -> undefined
        assertThat(KrippendorffAlpha.ordinal(List.of(List.of(1.0, 1.0), List.of(2.0, 2.0), List.of(3.0, 3.0)))).isEqualTo(1.0);
        assertThat(KrippendorffAlpha.ordinal(List.of(List.of(1.0, 1.0)))).isNaN();
    }
}
