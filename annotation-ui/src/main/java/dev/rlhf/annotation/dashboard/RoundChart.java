package dev.rlhf.annotation.dashboard;

import java.util.List;

import dev.rlhf.annotation.chart.ChartJs;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A chart across rounds, drawn by Chart.js like {@link LineChart}: x = policy version number (round
 * N makes version vN), one value per version; promoted versions are green dots joined by a line
 * (the lineage the labelers saw), rejected ones red crosses, versions whose fate is not reported
 * yet grey. It is redrawn whole when a version's value or fate changes (once a round).
 */
public class RoundChart extends ChartCard {

    /** A version's value, and whether it was promoted (null: not reported). */
    public record Point(int version, double value, Boolean promoted) {
    }

    private List<Point> points = List.of();

    public RoundChart(String id, String title) {
        super(title, "round-chart");
        setId(id);
    }

    /** The points as the chart shows them, by version. */
    public List<Point> points() {
        return points;
    }

    public void setPoints(List<Point> points) {
        if (points.equals(this.points)) {
            return;
        }
        this.points = List.copyOf(points);
        if (isAttached()) {
            draw();
        }
    }

    @Override
    void draw() {
        // Integer x values are version numbers: label them "v3"; JSON cannot carry the callback.
        ChartJs.draw(canvasHolder(), config(),
                "config.options.scales.x.ticks.callback = value => Number.isInteger(value) ? 'v' + value : '';");
    }

    ObjectNode config() {
        ObjectNode config = JSON.createObjectNode();
        config.put("type", "scatter");
        ArrayNode datasets = config.putObject("data").putArray("datasets");
        dataset(datasets, "promoted", Boolean.TRUE, "#2ca02c", "circle", true);
        dataset(datasets, "rejected", Boolean.FALSE, "#d62728", "crossRot", false);
        dataset(datasets, "not reported", null, "#7f7f7f", "rectRot", false);
        ObjectNode options = config.putObject("options");
        options.put("animation", false).put("maintainAspectRatio", false);
        options.putObject("layout").putObject("padding").put("left", 8).put("right", 12).put("top", 8);
        ObjectNode scales = options.putObject("scales");
        ObjectNode x = scales.putObject("x");
        x.put("type", "linear");
        x.putObject("ticks").put("stepSize", 1).put("precision", 0);
        x.putObject("title").put("display", true).put("text", "policy version (round N makes vN)");
        ObjectNode legend = options.putObject("plugins").putObject("legend");
        legend.put("position", "bottom");
        legend.putObject("labels").put("usePointStyle", true);
        return config;
    }

    private void dataset(ArrayNode datasets, String label, Boolean promoted, String color, String style, boolean line) {
        List<Point> matching = points.stream().filter(p -> java.util.Objects.equals(p.promoted(), promoted)).toList();
        if (matching.isEmpty() && promoted == null) {
            return;
        }
        ObjectNode d = datasets.addObject();
        d.put("label", label).put("borderColor", color).put("backgroundColor", color).put("pointStyle", style)
                .put("pointRadius", line ? 4 : 7).put("borderWidth", line ? 1.5 : 2).put("showLine", line).put("clip", false);
        ArrayNode data = d.putArray("data");
        matching.forEach(p -> data.addObject().put("x", p.version()).put("y", p.value()));
    }
}
