package dev.rlhf.annotation.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RankingDraftTest {

    final RankingDraft draft = new RankingDraft(List.of("a", "b", "c", "d"));

    @Test
    void startsStrictlyOrderedAsShown() {
        assertThat(draft.groups()).containsExactly(List.of("a"), List.of("b"), List.of("c"), List.of("d"));
        assertThat(draft.rankOf("c")).isEqualTo(3);
    }

    @Test
    void numberKeyMovesAResponseToThatRank() {
        draft.moveTo("d", 1);
        assertThat(draft.order()).containsExactly("d", "a", "b", "c");
        draft.moveTo("d", 3);
        assertThat(draft.order()).containsExactly("a", "b", "d", "c");
        assertThatThrownBy(() -> draft.moveTo("a", 5)).hasMessageContaining("between 1 and 4");
    }

    @Test
    void tieKeyGroupsAResponseWithTheOneAboveAndSharesItsRank() {
        draft.toggleTieWithAbove("c");
        assertThat(draft.groups()).containsExactly(List.of("a"), List.of("b", "c"), List.of("d"));
        assertThat(draft.rankOf("c")).isEqualTo(2);
        assertThat(draft.rankOf("d")).isEqualTo(4);
        draft.toggleTieWithAbove("a"); // the first has nothing above: no effect
        draft.toggleTieWithAbove("c");
        assertThat(draft.groups()).hasSize(4);
    }

    @Test
    void movingTheHeadOfATieGroupLeavesTheRestOfTheGroupTogether() {
        draft.toggleTieWithAbove("c");
        draft.toggleTieWithAbove("d"); // groups: [a] [b c d]
        draft.moveTo("b", 1);
        assertThat(draft.groups()).containsExactly(List.of("b"), List.of("a"), List.of("c", "d"));
    }

    @Test
    void droppingIntoATieGroupSplitsIt() {
        draft.toggleTieWithAbove("b");
        draft.toggleTieWithAbove("c"); // groups: [a b c] [d]
        draft.moveTo("d", 2);
        assertThat(draft.groups()).containsExactly(List.of("a"), List.of("d"), List.of("b", "c"));
    }

    @Test
    void flagsToggleAndNoneAcceptableIsRecorded() {
        draft.toggleFlag("b", "harmful");
        draft.toggleFlag("b", "off-topic");
        draft.toggleFlag("c", "other");
        draft.toggleFlag("c", "other");
        draft.setNoneAcceptable(true);
        assertThat(draft.flags()).isEqualTo(Map.of("b", List.of("harmful", "off-topic")));
        assertThat(draft.noneAcceptable()).isTrue();
        assertThatThrownBy(() -> draft.toggleFlag("z", "other")).hasMessageContaining("unknown response z");
    }
}
