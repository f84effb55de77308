package dev.rlhf.annotation.dashboard;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;

import dev.rlhf.feedback.metrics.MetricPoint;
import dev.rlhf.feedback.metrics.PolicyHealth;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import dev.rlhf.feedback.metrics.VersionHealth;
import jakarta.annotation.security.PermitAll;

/**
 * Live training dashboard: one chart per (phase, metric) the trainer publishes on
 * {@code rlhf.trainer-metrics.v1} (reward-model accuracy and loss, PPO reward, KL and clip
 * fraction, DPO margins and accuracies, ...), one line per training run, updated by server push;
 * and above them, across rounds, one point per policy version: its round's reward-model held-out
 * accuracy and the version's health (KL to SFT, distinct-2, repeat rate, reward score), promoted
 * and rejected versions told apart.
 */
@Route("dashboard")
@PageTitle("Training")
@PermitAll
public class DashboardView extends VerticalLayout {

    /** Phases in pipeline order; charts of unknown phases come after. */
    private static final List<String> PHASES = List.of("reward", "ppo", "dpo", "sft");
    /** Phases that are reports about versions and the loop, not steps of a run: they have no step chart. */
    private static final Set<String> NOT_RUNS = Set.of(PolicyHealth.HEALTH_PHASE, PolicyHealth.LOOP_PHASE);
    /** The cross-round charts: key (a health name, or eval_accuracy) -> title. */
    private static final Map<String, String> ACROSS_ROUNDS = new LinkedHashMap<>();

    static {
        ACROSS_ROUNDS.put("eval_accuracy", "Reward model held-out accuracy (eval_accuracy)");
        ACROSS_ROUNDS.put("kl_to_sft", "KL to SFT, nats per token (health/kl_to_sft)");
        ACROSS_ROUNDS.put("distinct2", "Distinct-2 (health/distinct2)");
        ACROSS_ROUNDS.put("repeat_rate", "Repeat rate (health/repeat_rate)");
        ACROSS_ROUNDS.put("score", "Reward model score (health/score)");
    }

    private final TrainerMetricsService metrics;
    private final Paragraph empty = new Paragraph(
            "No training metrics yet. Charts appear here, live, as soon as the trainer publishes to rlhf.trainer-metrics.v1.");
    private final Div grid = new Div();
    private final Map<String, LineChart> charts = new TreeMap<>(chartOrder());
    private final PolicyHealth versions;
    private final Div acrossRounds = new Div();
    private final H3 runsHeading = new H3("Runs");
    private final Map<String, RoundChart> roundCharts = new LinkedHashMap<>();
    private Runnable unsubscribe = () -> { };

    public DashboardView(TrainerMetricsService metrics) {
        this.metrics = metrics;
        grid.getStyle().set("display", "flex").set("flex-wrap", "wrap").set("gap", "1.5rem").set("width", "100%");
        Div roundGrid = new Div();
        roundGrid.getStyle().set("display", "flex").set("flex-wrap", "wrap").set("gap", "1.5rem").set("width", "100%");
        ACROSS_ROUNDS.forEach((key, title) -> {
            RoundChart chart = new RoundChart("round-" + key, title);
            roundCharts.put(key, chart);
            roundGrid.add(chart);
        });
        acrossRounds.setId("across-rounds");
        acrossRounds.setWidthFull();
        acrossRounds.add(new H3("Across rounds"), roundGrid);
        runsHeading.setVisible(false);
        add(new H2("Training"), empty, acrossRounds, runsHeading, grid);
        versions = metrics.policyHealth();
        showVersions();
        for (MetricPoint point : metrics.history()) {
            show(point);
        }
    }

    /** The cross-round charts, keyed by metric (eval_accuracy, kl_to_sft, distinct2, repeat_rate, score). */
    public Map<String, RoundChart> roundCharts() {
        return roundCharts;
    }

    /** The charts on screen, keyed "phase · metric". */
    public Map<String, LineChart> charts() {
        return charts;
    }

    void show(MetricPoint point) {
        if (versions.accept(point)) {
            showVersions();
        }
        if (NOT_RUNS.contains(point.phase())) {
            return;
        }
        String key = point.phase() + " · " + point.name();
        LineChart chart = charts.get(key);
        if (chart == null) {
            chart = new LineChart(key);
            charts.put(key, chart);
            grid.removeAll();
            charts.values().forEach(grid::add);
        }
        chart.append(point.runId(), point.step(), point.value());
        empty.setVisible(false);
        runsHeading.setVisible(true);
    }

    private void showVersions() {
        List<VersionHealth> reported = versions.versions();
        roundCharts.forEach((key, chart) -> {
            List<RoundChart.Point> points = reported.stream()
                    .filter(v -> value(v, key) != null)
                    .map(v -> new RoundChart.Point(v.number(), value(v, key), v.promoted()))
                    .toList();
            chart.setPoints(points);
            chart.setVisible(!points.isEmpty());
        });
        boolean any = roundCharts.values().stream().anyMatch(c -> !c.points().isEmpty());
        acrossRounds.setVisible(any);
        if (any) {
            empty.setVisible(false);
        }
    }

    private static Double value(VersionHealth v, String key) {
        return key.equals("eval_accuracy") ? v.evalAccuracy() : v.health().get(key);
    }

    @Override
    protected void onAttach(AttachEvent attachEvent) {
        super.onAttach(attachEvent);
        UI ui = attachEvent.getUI();
        unsubscribe = metrics.subscribe(point -> ui.access(() -> show(point)));
    }

    @Override
    protected void onDetach(DetachEvent detachEvent) {
        unsubscribe.run();
        super.onDetach(detachEvent);
    }

    private static Comparator<String> chartOrder() {
        Comparator<String> byPhase = Comparator.comparingInt(key -> {
            int i = PHASES.indexOf(key.substring(0, key.indexOf(" · ")));
            return i < 0 ? PHASES.size() : i;
        });
        return byPhase.thenComparing(Comparator.naturalOrder());
    }
}
