package dev.rlhf.annotation.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;

import dev.rlhf.feedback.policy.PolicyVersionService;
import dev.rlhf.feedback.policy.PolicyWinRates;

/** Which policy version produced the project's responses, and each version's win rate against the one before. */
class PolicyVersionsPanel extends VerticalLayout {

    /** A row: a version and its comparison with the previous one (null for the first). */
    record Row(String version, long responses, Instant firstSeen, PolicyWinRates.WinRate againstPrevious) {

        String winRateText() {
            if (againstPrevious == null) {
                return "–";
            }
            return StatsPanel.share(againstPrevious.winRate()) + " vs " + againstPrevious.previous() + " (" + againstPrevious.wins()
                    + " wins, " + againstPrevious.losses() + " losses, " + againstPrevious.ties() + " ties)";
        }
    }

    final Grid<Row> versions = new Grid<>();
    final Span empty = new Span("No responses from the trainer's policies yet (imported responses carry a model name, not a version).");
    private final PolicyVersionService policies;
    private final UUID projectId;

    PolicyVersionsPanel(PolicyVersionService policies, UUID projectId) {
        this.policies = policies;
        this.projectId = projectId;
        setPadding(false);
        versions.setId("policy-versions");
        versions.addColumn(Row::version).setHeader("Policy version");
        versions.addColumn(Row::responses).setHeader("Responses");
        versions.addColumn(r -> ProjectsView.TIME.format(r.firstSeen())).setHeader("First seen");
        versions.addColumn(Row::winRateText).setHeader("Win rate against the previous version").setFlexGrow(3);
        versions.setAllRowsVisible(true);
        add(empty, versions);
        refresh();
    }

    void refresh() {
        PolicyVersionService.Report report = policies.report(projectId);
        Map<String, PolicyWinRates.WinRate> byVersion = report.winRates().stream()
                .collect(Collectors.toMap(PolicyWinRates.WinRate::version, Function.identity(), (a, b) -> a));
        List<Row> rows = report.versions().stream()
                .map(v -> new Row(v.version(), v.responses(), v.firstSeen(), byVersion.get(v.version()))).toList();
        versions.setItems(rows);
        versions.setVisible(!rows.isEmpty());
        empty.setVisible(rows.isEmpty());
    }
}
