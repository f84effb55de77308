package dev.rlhf.annotation.dashboard;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;

import dev.rlhf.feedback.metrics.MetricPoint;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import jakarta.annotation.security.PermitAll;

/**
 * Live training dashboard: one chart per (phase, metric) the trainer publishes on
 * {@code rlhf.trainer-metrics.v1} (reward-model accuracy and loss, PPO reward, KL and clip
 * fraction, DPO margins and accuracies, ...), one line per training run, updated by server push.
 */
@Route("dashboard")
@PageTitle("Training")
@PermitAll
public class DashboardView extends VerticalLayout {

    /** Phases in pipeline order; charts of unknown phases come after. */
    private static final List<String> PHASES = List.of("reward", "ppo", "dpo", "sft");

    private final TrainerMetricsService metrics;
    private final Paragraph empty = new Paragraph(
            "No training metrics yet. Charts appear here, live, as soon as the trainer publishes to rlhf.trainer-metrics.v1.");
    private final Div grid = new Div();
    private final Map<String, LineChart> charts = new TreeMap<>(chartOrder());
    private Runnable unsubscribe = () -> { };

    public DashboardView(TrainerMetricsService metrics) {
        this.metrics = metrics;
        grid.getStyle().set("display", "flex").set("flex-wrap", "wrap").set("gap", "1.5rem").set("width", "100%");
        add(new H2("Training"), empty, grid);
        for (MetricPoint point : metrics.history()) {
            show(point);
        }
    }

    /** The charts on screen, keyed "phase · metric". */
    public Map<String, LineChart> charts() {
        return charts;
    }

    void show(MetricPoint point) {
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
