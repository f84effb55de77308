package dev.rlhf.annotation.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.stats.ProjectStats;

/** The agreement line's part for the graded feedback modes: the measure suited to the mode's scale. */
class StatsPanelTest {

    @Test
    void aRatingProjectShowsTheRatingsAlphaAndABinaryOneTheThumbsAlphaAndARankingOneNeither() {
        var rating = new ProjectStats.Agreement(0.5, 4, 0.25, 0.4, "rating", ProjectStats.Agreement.RATINGS_ALPHA_INTERVAL, 0.8125,
                0.8125, 0.7, null);
        assertThat(StatsPanel.gradedAgreement(rating)).isEqualTo(" · ratings' alpha 0.81 (interval), 0.70 (ordinal)");

        var binary = new ProjectStats.Agreement(0.5, 4, 0.25, 0.4, "binary", ProjectStats.Agreement.LABELS_ALPHA_NOMINAL, null,
                null, null, null);
        assertThat(StatsPanel.gradedAgreement(binary)).as("no response has two thumbs yet").isEqualTo(" · thumbs' alpha – (nominal)");

        var ranking = new ProjectStats.Agreement(0.5, 4, 0.25, 0.4, "ranking", ProjectStats.Agreement.PAIRWISE, 0.5, null, null, null);
        assertThat(StatsPanel.gradedAgreement(ranking)).isEmpty();
    }
}
