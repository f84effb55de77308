package dev.rlhf.annotation.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;

import dev.rlhf.feedback.metrics.LoopStatus;
import dev.rlhf.feedback.metrics.VersionHealth;
import dev.rlhf.feedback.policy.BradleyTerry;
import dev.rlhf.feedback.policy.PolicyVersionService;
import dev.rlhf.feedback.policy.PolicyWinRates;

/**
 * The policy versions: which produced the project's responses, each one's Bradley-Terry rating with
 * its 95% interval, its win rate against the one before, its health as the trainer measured it (KL
 * to the SFT policy, distinct-2, repeat rate, length) and whether it was promoted or why it was
 * rejected; and a line saying what the trainer's loop is waiting for.
 */
class PolicyVersionsPanel extends VerticalLayout {

    /** A row: a version, its comparison with the previous one (null for the first) and its rating (null when it played no game). */
    record Row(PolicyVersionService.PolicyVersion version, PolicyWinRates.WinRate againstPrevious, BradleyTerry.Rating rating) {

        String winRateText() {
            if (againstPrevious == null) {
                return "–";
            }
            return StatsPanel.share(againstPrevious.winRate()) + " vs " + againstPrevious.previous() + " (" + againstPrevious.wins()
                    + " wins, " + againstPrevious.losses() + " losses, " + againstPrevious.ties() + " ties)";
        }

        String ratingText() {
            if (rating == null) {
                return "–";
            }
            String interval = rating.lower() == null ? "" : " (" + Math.round(rating.lower()) + "–" + Math.round(rating.upper()) + ")";
            return Math.round(rating.rating()) + interval + " · " + rating.games() + " games";
        }

        String health(String name) {
            Double value = version.health().get(name);
            return value == null ? "–" : VersionHealth.number(value);
        }

        String firstSeenText() {
            return version.firstSeen() == null ? "–" : ProjectsView.TIME.format(version.firstSeen());
        }

        String promotionText() {
            return version.promotion() == null ? "–" : version.promotion();
        }
    }

    final Grid<Row> versions = new Grid<>();
    final Span empty = new Span("No responses from the trainer's policies yet (imported responses carry a model name, not a version).");
    final Span loop = new Span();
    private final PolicyVersionService policies;
    private final UUID projectId;

    PolicyVersionsPanel(PolicyVersionService policies, UUID projectId) {
        this.policies = policies;
        this.projectId = projectId;
        setPadding(false);
        loop.setId("loop-status");
        versions.setId("policy-versions");
        // Numbers take the width they need; the texts share the rest and wrap, so a rejection's reason is read in full.
        versions.addColumn(r -> r.version().version()).setHeader("Policy version").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(r -> r.version().responses()).setHeader("Responses").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(Row::firstSeenText).setHeader("First seen").setFlexGrow(1);
        versions.addColumn(Row::ratingText).setHeader("Rating (95% interval)").setFlexGrow(2);
        versions.addColumn(Row::winRateText).setHeader("Win rate against the previous version").setFlexGrow(2);
        versions.addColumn(r -> r.health("kl_to_sft")).setHeader("KL to SFT").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(r -> r.health("distinct2")).setHeader("Distinct-2").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(r -> r.health("repeat_rate")).setHeader("Repeat rate").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(r -> r.health("length")).setHeader("Length").setAutoWidth(true).setFlexGrow(0);
        versions.addColumn(Row::promotionText).setHeader("Promoted").setFlexGrow(3);
        versions.addThemeVariants(GridVariant.LUMO_WRAP_CELL_CONTENT);
        versions.setAllRowsVisible(true);
        add(loop, empty, versions);
        refresh();
    }

    void refresh() {
        PolicyVersionService.Report report = policies.report(projectId);
        Map<String, PolicyWinRates.WinRate> winRates = report.winRates().stream()
                .collect(Collectors.toMap(PolicyWinRates.WinRate::version, Function.identity(), (a, b) -> a));
        Map<String, BradleyTerry.Rating> ratings = report.ratings().stream()
                .collect(Collectors.toMap(BradleyTerry.Rating::version, Function.identity(), (a, b) -> a));
        List<Row> rows = report.versions().stream()
                .map(v -> new Row(v, winRates.get(v.version()), ratings.get(v.version()))).toList();
        versions.setItems(rows);
        versions.setVisible(!rows.isEmpty());
        empty.setVisible(rows.isEmpty());
        LoopStatus status = report.loop();
        loop.setText(status == null ? "The trainer has not reported its loop's status yet." : status.describe(Instant.now()));
    }
}
