package dev.rlhf.annotation.admin;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.progressbar.ProgressBar;

import dev.rlhf.feedback.stats.ProjectStats;
import dev.rlhf.feedback.stats.ProjectStats.AnnotatorFigures;
import dev.rlhf.feedback.stats.ProjectStatsService;

/** A project's live figures: counts, progress, agreement, per-annotator table and agreement chart. */
class StatsPanel extends VerticalLayout {

    final Span counts = new Span();
    final ProgressBar progress = new ProgressBar(0, 1);
    final Span progressText = new Span();
    final Span agreement = new Span();
    final Grid<AnnotatorFigures> annotators = new Grid<>();
    final Span noRankings = new Span("No rankings yet: per-annotator figures appear with the first submissions.");
    final BarChart agreementChart = new BarChart("Agreement with the other annotators", "pairwise agreement", 1);
    private final ProjectStatsService stats;
    private final UUID projectId;

    StatsPanel(ProjectStatsService stats, UUID projectId) {
        this.stats = stats;
        this.projectId = projectId;
        setPadding(false);
        counts.setId("stats-counts");
        progress.setId("stats-progress");
        progress.setWidth("24rem");
        progressText.setId("stats-progress-text");
        agreement.setId("stats-agreement");
        annotators.setId("stats-annotators");
        annotators.addColumn(AnnotatorFigures::username).setHeader("Annotator").setFlexGrow(2);
        annotators.addColumn(AnnotatorFigures::rankings).setHeader("Rankings");
        annotators.addColumn(a -> number(a.medianSecondsPerTask(), 1, " s")).setHeader("Median time per task");
        annotators.addColumn(a -> share(a.pairwiseAgreement()) + pairs(a.comparedPairs())).setHeader("Agreement with others");
        annotators.addColumn(a -> share(a.goldAccuracy()) + pairs(a.goldPairs())).setHeader("Gold accuracy");
        annotators.setAllRowsVisible(true);
        HorizontalLayout progressRow = new HorizontalLayout(progress, progressText);
        progressRow.setAlignItems(Alignment.CENTER);
        add(counts, progressRow, agreement, noRankings, annotators, agreementChart);
        refresh();
    }

    void refresh() {
        ProjectStats s = stats.stats(projectId);
        ProjectStats.Counts c = s.counts();
        counts.setText(c.prompts() + " prompts · " + c.responses() + " responses · " + c.tasks() + " tasks (" + c.tasksComplete()
                + " complete) · " + c.rankings() + " rankings · " + c.pairs() + " preference pairs");
        progress.setValue(s.progress() == null ? 0 : s.progress());
        progressText.setText(s.progress() == null ? "no tasks yet" : share(s.progress()) + " of tasks complete");
        ProjectStats.Agreement a = s.agreement();
        agreement.setText("Pairwise agreement " + share(a.pairwise()) + pairs(a.comparedPairs()) + " · Kendall tau-b "
                + number(a.meanKendallTauB(), 2, "") + " · Krippendorff alpha " + number(a.krippendorffAlpha(), 2, "") + gradedAgreement(a));
        annotators.setItems(s.annotators());
        boolean any = !s.annotators().isEmpty();
        noRankings.setVisible(!any);
        annotators.setVisible(any);
        agreementChart.setVisible(any);
        Map<String, Double> bars = new LinkedHashMap<>();
        s.annotators().forEach(f -> bars.put(f.username() == null ? String.valueOf(f.annotatorId()) : f.username(), f.pairwiseAgreement()));
        agreementChart.setBars(bars);
    }

    /** The agreement measure suited to a rating or thumbs project's scale, after the ranking measures every mode has. */
    static String gradedAgreement(ProjectStats.Agreement a) {
        return switch (a.measure() == null ? "" : a.measure()) {
            case ProjectStats.Agreement.RATINGS_ALPHA_INTERVAL -> " · ratings' alpha " + number(a.ratingsAlphaInterval(), 2, "")
                    + " (interval), " + number(a.ratingsAlphaOrdinal(), 2, "") + " (ordinal)";
            case ProjectStats.Agreement.LABELS_ALPHA_NOMINAL -> " · thumbs' alpha " + number(a.labelsAlphaNominal(), 2, "") + " (nominal)";
            default -> "";
        };
    }

    static String share(Double value) {
        return value == null ? "–" : String.format(Locale.ROOT, "%.1f%%", value * 100);
    }

    static String number(Double value, int decimals, String unit) {
        return value == null ? "–" : String.format(Locale.ROOT, "%." + decimals + "f%s", value, unit);
    }

    private static String pairs(long n) {
        return n == 0 ? "" : " (" + n + " pairs)";
    }
}
