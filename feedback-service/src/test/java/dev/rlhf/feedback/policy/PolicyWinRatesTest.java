package dev.rlhf.feedback.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class PolicyWinRatesTest {

    final UUID a1 = UUID.randomUUID(), a2 = UUID.randomUUID(), b1 = UUID.randomUUID(), b2 = UUID.randomUUID(),
            c1 = UUID.randomUUID(), imported = UUID.randomUUID();
    final Map<UUID, String> versions = Map.of(a1, "v1", a2, "v1", b1, "v2", b2, "v2", c1, "v3");

    @Test
    void countsEachStrictlyOrderedCrossVersionPairAndIgnoresTies() {
        // Ranking 1: [b1] [a1, b2] [a2]  -> v2 vs v1 pairs: b1>a1 win, b1>a2 win, b2~a1 tie, b2>a2 win
        var r1 = new PolicyWinRates.RankedVersions(List.of(List.of(b1), List.of(a1, b2), List.of(a2)), versions);
        // Ranking 2: [a1] [imported] [b1]  -> a1>b1: a loss for v2; the imported response counts for no one
        var r2 = new PolicyWinRates.RankedVersions(List.of(List.of(a1), List.of(imported), List.of(b1)), versions);
        // Ranking 3: [c1] [b1]             -> v3 beats v2 once; nothing for v2 vs v1
        var r3 = new PolicyWinRates.RankedVersions(List.of(List.of(c1), List.of(b1)), versions);

        var rates = PolicyWinRates.againstPrevious(List.of("v1", "v2", "v3"), List.of(r1, r2, r3));

        // v2 vs v1: wins 3, losses 1, ties 1 -> 3 / 4 = 0.75
        assertThat(rates.get(0)).isEqualTo(new PolicyWinRates.WinRate("v2", "v1", 3, 1, 1, 0.75));
        assertThat(rates.get(1)).isEqualTo(new PolicyWinRates.WinRate("v3", "v2", 1, 0, 0, 1.0));
    }

    @Test
    void noComparisonGivesNoRate() {
        var rates = PolicyWinRates.againstPrevious(List.of("v1", "v2"), List.of());
        assertThat(rates).containsExactly(new PolicyWinRates.WinRate("v2", "v1", 0, 0, 0, null));
        assertThat(PolicyWinRates.againstPrevious(List.of("v1"), List.of())).isEmpty();
    }
}
