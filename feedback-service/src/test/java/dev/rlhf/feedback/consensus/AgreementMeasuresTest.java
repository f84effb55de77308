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

    /**
     * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units with
     * missing values; published alpha: nominal 0.743, ordinal 0.815, interval 0.849. Unit 12 has one value:
     * not pairable, skipped; the other 11 units hold n = 40 pairable values. Coincidence matrix (rows and
     * columns the values 1..5): row 1 = 7, 4/3, 1/3, 1/3, 0; row 2 = 4/3, 10, 4/3, 1/3, 0; row 3 = 1/3, 4/3,
     * 8, 1/3, 0; row 4 = 1/3, 1/3, 1/3, 4, 0; row 5 = 0, 0, 0, 0, 3; so n_1..n_5 = 9, 13, 10, 5, 3.
     */
    static List<List<Double>> publishedExampleUnits() {
        Double n = null;
        Double[][] observers = {
                {1d, 2d, 3d, 3d, 2d, 1d, 4d, 1d, 2d, n, n, n},
                {1d, 2d, 3d, 3d, 2d, 2d, 4d, 1d, 2d, 5d, n, 3d},
                {n, 3d, 3d, 3d, 2d, 3d, 4d, 2d, 2d, 5d, 1d, n},
                {1d, 2d, 3d, 3d, 2d, 4d, 4d, 1d, 2d, 5d, 1d, n}};
        List<List<Double>> units = new java.util.ArrayList<>();
        for (int unit = 0; unit < 12; unit++) {
            var values = new java.util.ArrayList<Double>();
            for (Double[] observer : observers) {
                if (observer[unit] != null) {
                    values.add(observer[unit]);
                }
            }
            units.add(values);
        }
        return units;
    }

    @Test
    void krippendorffOrdinalAlphaMatchesThePublishedExample() {
        var alpha = new KrippendorffAlpha();
        publishedExampleUnits().forEach(alpha::addUnit);
        // observed sum o*delta2 = 1891, expected sum n_c n_k delta2 = 399480: 1 - 39 * 1891 / 399480 = 0.815388
        assertThat(alpha.alpha()).isCloseTo(0.815, within(0.0005)).isCloseTo(1 - 39.0 * 1891 / 399480, within(1e-9));
    }

    @Test
    void krippendorffNominalAndIntervalAlphaMatchThePublishedExample() {
        // nominal: observed = the off-diagonal coincidences = 2 * (4/3 + 1/3 + 1/3 + 4/3 + 1/3 + 1/3) = 8;
        // expected = n^2 - sum n_c^2 = 1600 - (81 + 169 + 100 + 25 + 9) = 1216; 1 - 39 * 8 / 1216 = 0.743421
        assertThat(KrippendorffAlpha.nominal(publishedExampleUnits())).isCloseTo(0.743, within(0.0005))
                .isCloseTo(1 - 39.0 * 8 / 1216, within(1e-9));
        // interval: observed = 2 * (4/3*1 + 1/3*4 + 1/3*9 + 4/3*1 + 1/3*4 + 1/3*1) = 2 * 26/3 = 52/3;
        // expected = sum_c sum_k n_c n_k (c-k)^2 = 4480; 1 - 39 * (52/3) / 4480 = 1 - 676/4480 = 0.849107
        assertThat(KrippendorffAlpha.interval(publishedExampleUnits())).isCloseTo(0.849, within(0.0005))
                .isCloseTo(1 - 676.0 / 4480, within(1e-9));
        assertThat(KrippendorffAlpha.of(KrippendorffAlpha.Metric.ORDINAL, publishedExampleUnits()))
                .isEqualTo(KrippendorffAlpha.ordinal(publishedExampleUnits()));
    }

    @Test
    void krippendorffIntervalAndNominalAlphaOnSmallHandExamples() {
        // Ratings of 3 responses by 2 annotators: x (7, 5), y (2, 2), z (4, 6). Each unit m = 2, weight 1.
        // values 2, 4, 5, 6, 7 with n_2 = 2, n_4 = n_5 = n_6 = n_7 = 1; n = 6
        // observed = 2 * ((7-5)^2 + (4-6)^2) = 2 * 8 = 16
        // expected = 2 * sum_{c<k} n_c n_k (c-k)^2
        //          = 2 * (2*1*4 + 2*1*9 + 2*1*16 + 2*1*25 + 1 + 4 + 9 + 1 + 4 + 1) = 2 * (8 + 18 + 32 + 50 + 20) = 256
        // alpha = 1 - 5 * 16 / 256 = 0.6875
        assertThat(KrippendorffAlpha.interval(List.of(List.of(7.0, 5.0), List.of(2.0, 2.0), List.of(4.0, 6.0))))
                .isCloseTo(0.6875, within(1e-12));
        // Thumbs (1 up, 0 down) of 3 responses by 2 annotators: x (1, 1), y (0, 0), z (1, 0).
        // o11 = 2, o00 = 2, o10 = o01 = 1; n_1 = n_0 = 3, n = 6
        // observed = o10 + o01 = 2; expected = n^2 - n_0^2 - n_1^2 = 36 - 18 = 18; alpha = 1 - 5 * 2 / 18 = 0.444444
        assertThat(KrippendorffAlpha.nominal(List.of(List.of(1.0, 1.0), List.of(0.0, 0.0), List.of(1.0, 0.0))))
                .isCloseTo(1 - 10.0 / 18, within(1e-12));
        // Nominal ignores distances: the same disagreement between 1 and 7 as between 1 and 2.
        assertThat(KrippendorffAlpha.nominal(List.of(List.of(1.0, 7.0), List.of(3.0, 3.0))))
                .isEqualTo(KrippendorffAlpha.nominal(List.of(List.of(1.0, 2.0), List.of(3.0, 3.0))));
        assertThat(KrippendorffAlpha.interval(List.of(List.of(1.0, 7.0), List.of(3.0, 3.0))))
                .isLessThan(KrippendorffAlpha.interval(List.of(List.of(1.0, 2.0), List.of(3.0, 3.0))));
        assertThat(KrippendorffAlpha.nominal(List.of(List.of(1.0, 1.0), List.of(1.0, 1.0)))).as("all thumbs up: undefined").isNaN();
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
