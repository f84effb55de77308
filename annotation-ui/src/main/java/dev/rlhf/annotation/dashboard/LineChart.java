package dev.rlhf.annotation.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.rlhf.annotation.chart.ChartJs;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A live line chart drawn in the browser by Chart.js (MIT, served from its webjar, no npm build):
 * one line per series, x = optimizer step. Points arrive one at a time; the chart is drawn whole on
 * attach ({@link ChartCard}).
 */
public class LineChart extends ChartCard {

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};

    /** One point of a series. */
    public record Point(long x, double y) {
    }

    private final Map<String, List<Point>> series = new LinkedHashMap<>();

    public LineChart(String title) {
        super(title, "line-chart");
    }

    /** The points of each series, as the chart shows them. */
    public Map<String, List<Point>> series() {
        return series;
    }

    public void append(String seriesName, long x, double y) {
        series.computeIfAbsent(seriesName, k -> new ArrayList<>()).add(new Point(x, y));
        int index = new ArrayList<>(series.keySet()).indexOf(seriesName);
        canvasHolder().executeJs("""
                const c = this.$chart;
                if (!c) { return; }
                // A new series arrives whole (its first point included); an existing one gets the point.
                if (c.data.datasets.length <= $0) { c.data.datasets.push(JSON.parse($3)); }
                else { c.data.datasets[$0].data.push({x: $1, y: $2}); }
                c.data.datasets[$0].pointRadius = c.data.datasets[$0].data.length > 1 ? 0 : 3;
                c.update('none');""", index, x, y, dataset(seriesName, index).toString());
    }

    @Override
    void draw() {
        ChartJs.draw(canvasHolder(), config(), "");
    }

    private ObjectNode config() {
        ObjectNode config = JSON.createObjectNode();
        config.put("type", "line");
        ArrayNode datasets = config.putObject("data").putArray("datasets");
        int i = 0;
        for (String name : series.keySet()) {
            datasets.add(dataset(name, i++));
        }
        ObjectNode options = config.putObject("options");
        options.put("animation", false).put("maintainAspectRatio", false).put("parsing", true);
        ObjectNode scales = options.putObject("scales");
        scales.putObject("x").put("type", "linear").putObject("title").put("display", true).put("text", "step");
        options.putObject("plugins").putObject("legend").put("position", "bottom");
        return config;
    }

    private ObjectNode dataset(String name, int index) {
        ObjectNode d = JSON.createObjectNode();
        d.put("label", name).put("borderColor", COLORS[index % COLORS.length]).put("backgroundColor", COLORS[index % COLORS.length])
                .put("borderWidth", 1.5);
        // A line needs no dots; a run with a single point (e.g. a metric logged once at the end) would be invisible without one.
        d.put("pointRadius", series.getOrDefault(name, List.of()).size() > 1 ? 0 : 3);
        ArrayNode data = d.putArray("data");
        for (Point p : series.getOrDefault(name, List.of())) {
            data.addObject().put("x", p.x()).put("y", p.y());
        }
        return d;
    }
}
