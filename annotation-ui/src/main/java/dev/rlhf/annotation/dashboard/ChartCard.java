package dev.rlhf.annotation.dashboard;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.dom.Element;

import tools.jackson.databind.json.JsonMapper;

/**
 * What the dashboard's charts share: a titled card with a canvas that Chart.js draws into
 * ({@link dev.rlhf.annotation.chart.ChartJs}). The data model stays on the server, so a chart that is
 * re-attached or whose script is still loading is drawn whole, with everything it has, on attach.
 */
abstract class ChartCard extends Div {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final String title;
    private final Div canvasHolder = new Div();

    ChartCard(String title, String className) {
        this.title = title;
        addClassName(className);
        canvasHolder.getElement().appendChild(new Element("canvas"));
        canvasHolder.getStyle().set("position", "relative").set("height", "220px");
        add(new H3(title), canvasHolder);
        getStyle().set("min-width", "320px").set("flex", "1 1 420px");
    }

    public String title() {
        return title;
    }

    /** The element around the canvas, which keeps the Chart.js chart ({@code this.$chart}). */
    Element canvasHolder() {
        return canvasHolder.getElement();
    }

    @Override
    protected void onAttach(AttachEvent attachEvent) {
        super.onAttach(attachEvent);
        draw();
    }

    /** Draws the whole chart from the data on the server. */
    abstract void draw();
}
