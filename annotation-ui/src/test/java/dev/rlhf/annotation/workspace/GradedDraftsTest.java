package dev.rlhf.annotation.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The pairwise, rating and thumbs drafts: what each key or click records, and the groups and grades submitted. */
class GradedDraftsTest {

    @Test
    void pairwiseKeysOneToFiveAreTheFiveGradesFromAMuchBetterToBMuchBetter() {
        assertThat(List.of(PairwiseChoice.values())).extracting(PairwiseChoice::key, PairwiseChoice::symbol, PairwiseChoice::strength)
                .containsExactly(
                        tuple(1, "A >> B", 2),
                        tuple(2, "A > B", 1),
                        tuple(3, "A ~ B", 0),
                        tuple(4, "B > A", 1),
                        tuple(5, "B >> A", 2));
        assertThat(PairwiseKeys.choiceOf(4)).isEqualTo(PairwiseChoice.B_BETTER);
        assertThatThrownBy(() -> PairwiseKeys.choiceOf(6)).hasMessageContaining("from 1 to 5");
    }

    @Test
    void aPairwiseGradeOrdersThePreferredResponseFirstOrTiesThem() {
        PairwiseDraft draft = new PairwiseDraft(List.of("a", "b"));
        assertThat(draft.missing()).startsWith("Choose which response is better");
        assertThat(draft.groups()).isEmpty();
        assertThat(draft.strength()).isNull();

        draft.choose(PairwiseChoice.B_MUCH_BETTER);
        assertThat(draft.missing()).isNull();
        assertThat(draft.groups()).containsExactly(List.of("b"), List.of("a"));
        assertThat(draft.strength()).isEqualTo(2);

        draft.choose(PairwiseChoice.A_BETTER);
        assertThat(draft.groups()).containsExactly(List.of("a"), List.of("b"));
        assertThat(draft.strength()).isEqualTo(1);

        draft.choose(PairwiseChoice.ABOUT_THE_SAME);
        assertThat(draft.groups()).containsExactly(List.of("a", "b"));
        assertThat(draft.strength()).isZero();
    }

    @Test
    void aPairwiseDraftNeedsExactlyTwoResponses() {
        assertThatThrownBy(() -> new PairwiseDraft(List.of("a", "b", "c"))).hasMessageContaining("exactly 2");
        assertThatThrownBy(() -> new PairwiseDraft(List.of("a", "a"))).hasMessageContaining("exactly 2");
    }

    @Test
    void ratingsAreCompleteOnceEveryResponseHasOneAndGroupByValueHighestFirst() {
        RatingDraft draft = new RatingDraft(List.of("a", "b", "c", "d"));
        draft.rate("c", 6);
        draft.rate("a", 2);
        assertThat(draft.missing()).isEqualTo("Rate every response from 1 to 7 (2 of 4 not rated yet)");
        draft.rate("b", 6);
        draft.rate("d", 4);
        draft.rate("a", 3); // a second key press on a response replaces its rating
        assertThat(draft.missing()).isNull();
        // In shown order a, b, c, d, whatever order they were rated in.
        assertThat(draft.ratings()).containsExactly(Map.entry("a", 3), Map.entry("b", 6), Map.entry("c", 6), Map.entry("d", 4));
        // 6: b, c (tied); then 4: d; then 3: a.
        assertThat(draft.groups()).containsExactly(List.of("b", "c"), List.of("d"), List.of("a"));
    }

    @Test
    void aRatingOffTheScaleOrOfAnUnknownResponseIsRefused() {
        RatingDraft draft = new RatingDraft(List.of("a", "b"));
        assertThatThrownBy(() -> draft.rate("a", 8)).hasMessage("a rating is 1 to 7, not 8");
        assertThatThrownBy(() -> draft.rate("a", 0)).hasMessage("a rating is 1 to 7, not 0");
        assertThatThrownBy(() -> draft.rate("x", 3)).hasMessage("unknown response x");
        assertThat(draft.ratingOf("a")).isNull();
    }

    @Test
    void thumbsAreCompleteOnceEveryResponseHasOneAndPutUpOverDown() {
        ThumbsDraft draft = new ThumbsDraft(List.of("a", "b", "c"));
        draft.label("b", false);
        assertThat(draft.missing()).isEqualTo("Give every response a thumbs up or down (2 of 3 still open)");
        draft.label("c", true);
        draft.label("a", true);
        draft.label("b", true);
        draft.label("b", false); // changed back
        assertThat(draft.missing()).isNull();
        assertThat(draft.labels()).containsExactly(Map.entry("a", true), Map.entry("b", false), Map.entry("c", true));
        assertThat(draft.groups()).containsExactly(List.of("a", "c"), List.of("b"));
        assertThatThrownBy(() -> draft.label("x", true)).hasMessage("unknown response x");
    }

    @Test
    void flagsToggleAndAreSubmittedSortedPerResponse() {
        ResponseFlags flags = new ResponseFlags(List.of("a", "b"));
        flags.toggle("b", "untruthful");
        flags.toggle("b", "harmful");
        flags.toggle("a", "other");
        flags.toggle("a", "other");
        assertThat(flags.asMap()).isEqualTo(Map.of("b", List.of("harmful", "untruthful")));
        assertThatThrownBy(() -> flags.toggle("x", "harmful")).hasMessage("unknown response x");
    }
}
