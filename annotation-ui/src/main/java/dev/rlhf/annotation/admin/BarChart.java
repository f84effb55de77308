package dev.rlhf.annotation.admin;

import java.util.LinkedHashMap;
import java.util.Map;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H4;
import com.vaadin.flow.dom.Element;

import dev.rlhf.annotation.chart.ChartJs;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A horizontal bar chart drawn by Chart.js from the same webjar as the training dashboard's line
 * charts (no other chart library). The bars live on the server; the browser is redrawn on attach
 * and on every change of {@link #setBars}.
 */
public class BarChart extends Div {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String seriesLabel;
    private final double max;
    private final Div canvasHolder = new Div();
    private Map<String, Double> bars = new LinkedHashMap<>();

    /** @param max the value axis runs from 0 to this */
    public BarChart(String title, String seriesLabel, double max) {
        this.seriesLabel = seriesLabel;
        this.max = max;
        addClassName("bar-chart");
        canvasHolder.getElement().appendChild(new Element("canvas"));
        canvasHolder.getStyle().set("position", "relative").set("height", "240px");
        add(new H4(title), canvasHolder);
        getStyle().set("min-width", "320px").set("max-width", "720px").set("width", "100%");
    }

    /** The bars as shown: label -> value (null values are not drawn). */
    public Map<String, Double> bars() {
        return bars;
    }

    public void setBars(Map<String, Double> newBars) {
        if (newBars.equals(bars)) {
            return;
        }
        bars = new LinkedHashMap<>(newBars);
        canvasHolder.getStyle().set("height", Math.max(120, 40 + 28 * bars.size()) + "px");
        // Redrawn whole: a chart first drawn while hidden or before Chart.js loaded would keep stale data otherwise.
        ChartJs.redraw(canvasHolder.getElement(), config());
    }

    @Override
    protected void onAttach(AttachEvent attachEvent) {
        super.onAttach(attachEvent);
        ChartJs.draw(canvasHolder.getElement(), config(), "");
    }

    private ObjectNode config() {
        ObjectNode config = JSON.createObjectNode();
        config.put("type", "bar");
        config.set("data", data());
        ObjectNode options = config.putObject("options");
        options.put("indexAxis", "y").put("animation", false).put("maintainAspectRatio", false);
        options.putObject("scales").putObject("x").put("min", 0).put("max", max);
        options.putObject("plugins").putObject("legend").put("display", false);
        return config;
    }

    private ObjectNode data() {
        ObjectNode data = JSON.createObjectNode();
        ArrayNode labels = data.putArray("labels");
        ObjectNode dataset = data.putArray("datasets").addObject();
        dataset.put("label", seriesLabel).put("backgroundColor", "#1f77b4");
        ArrayNode values = dataset.putArray("data");
        bars.forEach((label, value) -> {
            labels.add(label);
            if (value == null) {
                values.addNull();
            } else {
                values.add(value);
            }
        });
        return data;
    }
}
