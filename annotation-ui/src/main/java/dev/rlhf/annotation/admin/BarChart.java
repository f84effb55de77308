package dev.rlhf.annotation.admin;

import java.util.LinkedHashMap;
import java.util.Map;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H4;
import com.vaadin.flow.dom.Element;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A horizontal bar chart drawn by Chart.js from the same webjar as the training dashboard's line
 * charts (no other chart library). The bars live on the server; the browser is redrawn on attach
 * and on every change of {@link #setBars}.
 */
public class BarChart extends Div {

    static final String CHART_JS = "webjars/chart.js/4.5.1/dist/chart.umd.min.js";
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
        canvasHolder.getElement().executeJs("if (this.$draw) { this.$draw(JSON.parse($0)); }", config().toString());
    }

    @Override
    protected void onAttach(AttachEvent attachEvent) {
        super.onAttach(attachEvent);
        canvasHolder.getElement().executeJs("""
                const holder = this;
                holder.$draw = config => {
                  holder.$config = config;
                  if (!window.Chart) { return; }
                  if (holder.$chart) { holder.$chart.destroy(); }
                  holder.$chart = new window.Chart(holder.querySelector('canvas'), config);
                };
                holder.$draw(JSON.parse($0));
                if (window.Chart) { return; }
                let script = document.querySelector('script[data-chartjs]');
                if (!script) {
                  script = document.createElement('script');
                  script.src = $1;
                  script.dataset.chartjs = 'loading';
                  script.addEventListener('load', () => script.dataset.chartjs = 'loaded');
                  document.head.appendChild(script);
                }
                script.addEventListener('load', () => holder.$draw(holder.$config));""", config().toString(), CHART_JS);
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
