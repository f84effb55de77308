package dev.rlhf.schemas.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradedFeedbackTest {

    static <V> Map<String, V> ordered(Object... idsAndValues) {
        Map<String, V> map = new LinkedHashMap<>();
        for (int i = 0; i < idsAndValues.length; i += 2) {
            @SuppressWarnings("unchecked") V value = (V) idsAndValues[i + 1];
            map.put((String) idsAndValues[i], value);
        }
        return map;
    }

    @Test
    void ratingsGroupByValueHighestFirstAndThumbsPutUpOverDown() {
        Map<String, Integer> ratings = ordered("a", 3, "b", 6, "c", 3, "d", 7);
        assertThat(GradedFeedback.groupsFromRatings(ratings)).containsExactly(List.of("d"), List.of("b"), List.of("a", "c"));
        assertThat(GradedFeedback.groupsFromLabels(ordered("a", false, "b", true, "c", true)))
                .containsExactly(List.of("b", "c"), List.of("a"));
        assertThat(GradedFeedback.groupsFromLabels(ordered("a", false, "b", false))).containsExactly(List.of("a", "b"));
    }

    @Test
    void marginIsTheGradedStrengthOrTheRatingDifference() {
        assertThat(GradedFeedback.margin(FeedbackMode.PAIRWISE, 2, Map.of(), "a", "b")).isEqualTo(2.0);
        assertThat(GradedFeedback.margin(FeedbackMode.PAIRWISE, 1, Map.of(), "a", "b")).isEqualTo(1.0);
        assertThat(GradedFeedback.margin(FeedbackMode.PAIRWISE, 0, Map.of(), "a", "b")).isNull();
        Map<String, Integer> ratings = Map.of("a", 6, "b", 2, "c", 6);
        assertThat(GradedFeedback.margin(FeedbackMode.RATING, null, ratings, "a", "b")).isEqualTo(4.0); // 6 - 2
        assertThat(GradedFeedback.margin(FeedbackMode.RATING, null, ratings, "a", "c")).isNull(); // a tie is no preference
        assertThat(GradedFeedback.margin(FeedbackMode.RANKING, null, Map.of(), "a", "b")).isNull();
        assertThat(GradedFeedback.margin(FeedbackMode.BINARY, null, Map.of(), "a", "b")).isNull();
    }

    @Test
    void unpairedLabelsFollowTheModesDocumentedSplit() {
        assertThat(GradedFeedback.unpairedLabels(FeedbackMode.BINARY, List.of(), Map.of(), ordered("a", true, "b", false)))
                .containsExactly(Map.entry("a", true), Map.entry("b", false));
        // 7 and 5 desirable, 4 left out, 3 and 1 undesirable
        Map<String, Integer> ratings = ordered("a", 7, "b", 4, "c", 3, "d", 5, "e", 1);
        assertThat(GradedFeedback.unpairedLabels(FeedbackMode.RATING, List.of(), ratings, Map.of()))
                .containsExactly(Map.entry("a", true), Map.entry("c", false), Map.entry("d", true), Map.entry("e", false));
        // top group desirable, bottom group undesirable, the middle left out
        List<List<String>> ranked = List.of(List.of("a"), List.of("b", "c"), List.of("d", "e"));
        assertThat(GradedFeedback.unpairedLabels(FeedbackMode.RANKING, ranked, Map.of(), Map.of()))
                .containsExactly(Map.entry("a", true), Map.entry("d", false), Map.entry("e", false));
        assertThat(GradedFeedback.unpairedLabels(FeedbackMode.PAIRWISE, List.of(List.of("a", "b")), Map.of(), Map.of())).isEmpty();
    }

    @Test
    void modesHaveLowerCaseWireNamesAndRankingIsTheDefault() {
        assertThat(FeedbackMode.fromWire(null)).isEqualTo(FeedbackMode.RANKING);
        assertThat(FeedbackMode.fromWire("Pairwise")).isEqualTo(FeedbackMode.PAIRWISE);
        assertThat(FeedbackMode.BINARY.wireName()).isEqualTo("binary");
        assertThatThrownBy(() -> FeedbackMode.fromWire("stars")).hasMessageContaining("unknown feedback mode 'stars'");
    }
}
