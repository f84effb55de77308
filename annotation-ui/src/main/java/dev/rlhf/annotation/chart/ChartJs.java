package dev.rlhf.annotation.chart;

import com.vaadin.flow.dom.Element;

import tools.jackson.databind.node.ObjectNode;

/**
 * Chart.js (MIT, served from its webjar, no npm build), loaded once per page, drawing the charts of
 * the admin console and the training dashboard into the canvas of a holder element. The holder
 * keeps the chart as {@code this.$chart} (for live updates) and {@code this.$draw(config)}, which
 * redraws it whole; a chart asked for before the script has loaded is drawn once it has.
 */
public final class ChartJs {

    public static final String SCRIPT = "webjars/chart.js/4.5.1/dist/chart.umd.min.js";

    private ChartJs() {
    }

    /**
     * Draws {@code config} into the canvas inside {@code holder}.
     *
     * @param prepare JavaScript run on {@code config} before each drawing, for what JSON cannot carry
     *                (e.g. a tick callback); empty for none
     */
    public static void draw(Element holder, ObjectNode config, String prepare) {
        holder.executeJs("""
                const holder = this;
                holder.$draw = config => {
                  %s
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
                script.addEventListener('load', () => holder.$draw(holder.$config));""".formatted(prepare), config.toString(), SCRIPT);
    }

    /** Redraws a chart {@link #draw} drew before, with a new config. */
    public static void redraw(Element holder, ObjectNode config) {
        holder.executeJs("if (this.$draw) { this.$draw(JSON.parse($0)); }", config.toString());
    }
}
