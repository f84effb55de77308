package dev.rlhf.feedback.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RankingTest {

    final UUID a = UUID.randomUUID(), b = UUID.randomUUID(), c = UUID.randomUUID(), d = UUID.randomUUID();

    @Test
    void pairsAreEveryResponseOverEachInALowerGroupAndTiesGiveNone() {
        Ranking r = ranking(List.of(List.of(a), List.of(b, c), List.of(d)));
        // a>b a>c a>d, b>d c>d: 1*2 + 1*1 + 2*1 = 5
        assertThat(r.pairs()).containsExactly(new Ranking.Pair(a, b), new Ranking.Pair(a, c), new Ranking.Pair(a, d),
                new Ranking.Pair(b, d), new Ranking.Pair(c, d));
        assertThat(ranking(List.of(List.of(a, b, c, d))).pairs()).isEmpty();
        // A strict order of K = 4 gives K choose 2 = 6 pairs.
        assertThat(ranking(List.of(List.of(a), List.of(b), List.of(c), List.of(d))).pairs()).hasSize(6);
    }

    @Test
    void orderingMustCoverExactlyTheTasksResponsesOnce() {
        Set<UUID> task = Set.of(a, b, c);
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a, c)), task)).isNull();
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a)), task)).isEqualTo("ranking is missing response " + Set.of(c));
        assertThat(Ranking.orderingProblem(List.of(List.of(b), List.of(a, c, d)), task)).contains("not in this task");
        assertThat(Ranking.orderingProblem(List.of(List.of(b, a), List.of(a, c)), task)).contains("more than once");
        assertThat(Ranking.orderingProblem(List.of(List.of(a, b, c), List.of()), task)).isEqualTo("ranking has an empty tie group");
        assertThat(Ranking.orderingProblem(List.of(), task)).isEqualTo("ranking is empty");
    }

    private Ranking ranking(List<List<UUID>> groups) {
        return new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, UUID.randomUUID(), UUID.randomUUID(), null,
                "test", groups, Map.of(), false, null, null, Instant.now());
    }
}
