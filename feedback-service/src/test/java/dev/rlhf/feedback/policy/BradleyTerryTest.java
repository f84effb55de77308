package dev.rlhf.feedback.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.policy.BradleyTerry.Game;
import dev.rlhf.feedback.policy.BradleyTerry.Rating;

class BradleyTerryTest {

    final Map<UUID, String> versionOf = new HashMap<>();

    /**
     * Six rankings of responses from v0, v1 and v2 (plus one imported response, without a version):
     * <pre>
     * R1  [v2] [v1] [v0]       v2 beats v1, v2 beats v0, v1 beats v0
     * R2  [v1 v0 v1]           v1 ties v0 twice (the v1-v1 pair is not a game)
     * R3  [v2] [v2 v0]         v2 beats v0, v2 ties v0
     * R4  [v1] [v2]            v1 beats v2
     * R5  [v2] [v1]            v2 beats v1
     * R6  [v2 v0] [v0] [imp]   v2 ties v0, v2 beats v0 (the imported response plays no game)
     * </pre>
     * Points scored, a tie being half a win each:
     * v1 vs v0: 1 win + 2 ties = 2 of 3; v2 vs v1: 2 of 3; v2 vs v0: 3 wins + 2 ties = 4 of 5.
     */
    List<PolicyWinRates.RankedVersions> handExample() {
        return List.of(
                ranking(List.of("v2"), List.of("v1"), List.of("v0")),
                ranking(List.of("v1", "v0", "v1")),
                ranking(List.of("v2"), List.of("v2", "v0")),
                ranking(List.of("v1"), List.of("v2")),
                ranking(List.of("v2"), List.of("v1")),
                ranking(List.of("v2", "v0"), List.of("v0"), java.util.Collections.singletonList((String) null)));
    }

    @Test
    void gamesAreCrossVersionPairsWithTiesAsHalfAWin() {
        List<Game> all = handExample().stream().flatMap(r -> BradleyTerry.games(r).stream()).toList();
        assertThat(points(all, "v1", "v0")).containsExactly(2.0, 3.0);
        assertThat(points(all, "v2", "v1")).containsExactly(2.0, 3.0);
        assertThat(points(all, "v2", "v0")).containsExactly(4.0, 5.0);
        assertThat(all).hasSize(11);
    }

    /**
     * The maximum-likelihood equations of Bradley-Terry say each version's points equal its expected
     * points. With log-strengths t0 = 0 (the anchor), t1 = d, t2 = 2d and s(x) = 1 / (1 + e^-x):
     * <pre>
     * v1: 2 + 1 = 3 s(d) + 3 s(-d) = 3                 (true for any d, by symmetry)
     * v2: 2 + 4 = 3 s(d) + 5 s(2d)
     * v0: 1 + 1 = 3 s(-d) + 5 s(-2d)
     * </pre>
     * d = ln 2 solves them: s(ln 2) = 2/3 and s(2 ln 2) = 4/5, so 3 * 2/3 + 5 * 4/5 = 6 and
     * 3 * 1/3 + 5 * 1/5 = 2; every version scored against every other, so the maximum is unique.
     * On the Elo scale (400 points per factor 10 in odds) d is 400 log10(2) = 120.41199826559...:
     * v0 = 1000, v1 = 1120.41199826559, v2 = 1240.82399653118.
     */
    @Test
    void fitMatchesTheHandComputedMaximumLikelihood() {
        List<Game> all = handExample().stream().flatMap(r -> BradleyTerry.games(r).stream()).toList();

        Map<String, Double> ratings = BradleyTerry.fit(List.of("v0", "v1", "v2"), all);

        double d = 400 * Math.log10(2);
        assertThat(ratings.get("v0")).isEqualTo(1000.0);
        assertThat(ratings.get("v1") - ratings.get("v0")).isCloseTo(d, within(1e-6));
        assertThat(ratings.get("v2") - ratings.get("v1")).isCloseTo(d, within(1e-6));
        assertThat(ratings.get("v2")).isCloseTo(1240.8239965311849, within(1e-6));
    }

    @Test
    void aVersionThatWonEveryGameGetsAFiniteHighRating() {
        // No finite maximum-likelihood estimate exists here; the weak prior keeps it finite.
        List<Game> games = List.of(new Game("v1", "v0", 1), new Game("v1", "v0", 1), new Game("v0", "v1", 0));

        Map<String, Double> ratings = BradleyTerry.fit(List.of("v0", "v1"), games);

        assertThat(ratings.get("v1")).isFinite().isGreaterThan(1400).isLessThan(2000);
        assertThat(BradleyTerry.fit(List.of("v0", "v1"), List.of(new Game("v1", "v0", 0.5))).get("v1"))
                .as("a single tie is a finite maximum: equal ratings").isCloseTo(1000, within(1e-9));
    }

    @Test
    void bootstrapIntervalsAreReproducibleForASeedContainThePointEstimateAndNarrowWithMoreRankings() {
        List<List<Game>> once = handExample().stream().map(BradleyTerry::games).toList();
        List<List<Game>> tenTimes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tenTimes.addAll(once);
        }

        List<Rating> first = BradleyTerry.ratings(List.of("v0", "v1", "v2"), tenTimes, 1000, 7);
        List<Rating> again = BradleyTerry.ratings(List.of("v0", "v1", "v2"), tenTimes, 1000, 7);
        List<Rating> otherSeed = BradleyTerry.ratings(List.of("v0", "v1", "v2"), tenTimes, 1000, 8);
        List<Rating> small = BradleyTerry.ratings(List.of("v0", "v1", "v2"), once, 1000, 7);

        assertThat(again).isEqualTo(first);
        assertThat(otherSeed.get(2).lower()).isNotEqualTo(first.get(2).lower());
        assertThat(first).extracting(Rating::version).containsExactly("v0", "v1", "v2");
        assertThat(first).extracting(Rating::games).containsExactly(80L, 60L, 80L);
        // Ten copies of the same rankings have the same maximum.
        assertThat(first.get(2).rating()).isCloseTo(1240.8239965311849, within(1e-6));
        assertThat(first.get(0)).as("the anchor").extracting(Rating::rating, Rating::lower, Rating::upper)
                .containsExactly(1000.0, 1000.0, 1000.0);
        for (Rating r : first) {
            assertThat(r.lower()).isLessThanOrEqualTo(r.rating());
            assertThat(r.upper()).isGreaterThanOrEqualTo(r.rating());
        }
        assertThat(first.get(2).upper() - first.get(2).lower()).isPositive()
                .isLessThan(small.get(2).upper() - small.get(2).lower());
    }

    @Test
    void noGamesNoRatings() {
        assertThat(BradleyTerry.ratings(List.of("v0", "v1"), List.of(List.of()), 100, 1)).isEmpty();
        var onlyOneVersion = ranking(List.of("v0"), List.of("v0"));
        assertThat(BradleyTerry.games(onlyOneVersion)).isEmpty();
    }

    @Test
    void percentilesInterpolateLikeNumpy() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertThat(BradleyTerry.percentile(sorted, 2.5)).isCloseTo(1.1, within(1e-12));
        assertThat(BradleyTerry.percentile(sorted, 97.5)).isCloseTo(4.9, within(1e-12));
        assertThat(BradleyTerry.percentile(new double[] {3}, 97.5)).isEqualTo(3);
    }

    /** Points of {@code a} against {@code b} and the number of their games. */
    private static List<Double> points(List<Game> games, String a, String b) {
        double points = 0, n = 0;
        for (Game g : games) {
            if (g.a().equals(a) && g.b().equals(b)) {
                points += g.scoreA();
                n++;
            } else if (g.a().equals(b) && g.b().equals(a)) {
                points += 1 - g.scoreA();
                n++;
            }
        }
        return List.of(points, n);
    }

    @SafeVarargs
    private PolicyWinRates.RankedVersions ranking(List<String>... groups) {
        List<List<UUID>> ids = new ArrayList<>();
        for (List<String> group : groups) {
            List<UUID> g = new ArrayList<>();
            for (String version : group) {
                UUID id = UUID.randomUUID();
                if (version != null) {
                    versionOf.put(id, version);
                }
                g.add(id);
            }
            ids.add(g);
        }
        return new PolicyWinRates.RankedVersions(ids, versionOf);
    }
}
