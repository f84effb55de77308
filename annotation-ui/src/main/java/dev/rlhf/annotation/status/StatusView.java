package dev.rlhf.annotation.status;

import java.util.Map;
import java.util.TreeMap;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;

import jakarta.annotation.security.RolesAllowed;

import dev.rlhf.feedback.platform.status.PipelineStatusService;
import dev.rlhf.feedback.platform.status.PipelineStatusService.PipelineStatus;

/** Where a newcomer lands: is the pipeline up, and what does it run on. */
@Route("status")
@PageTitle("Pipeline status")
@RolesAllowed("ADMIN")
public class StatusView extends VerticalLayout {

    private final PipelineStatusService statusService;
    private final VerticalLayout parts = new VerticalLayout();

    public StatusView(PipelineStatusService statusService) {
        this.statusService = statusService;
        add(new H1("Pipeline status"), new Paragraph("Status of the parts this annotation app runs on."),
                new Button("Refresh", e -> refresh()), parts);
        parts.setPadding(false);
        refresh();
    }

    private void refresh() {
        PipelineStatus status = statusService.status();
        parts.removeAll();
        parts.add(part("Database", status.database()), part("Kafka", status.kafka()),
                new Paragraph("Data directory: " + status.dataDir()));
    }

    private static VerticalLayout part(String name, PipelineStatus.Part part) {
        Span badge = new Span(part.up() ? "UP" : "DOWN");
        badge.getElement().getThemeList().add(part.up() ? "badge success" : "badge error");
        badge.setId(name.toLowerCase() + "-status");
        VerticalLayout box = new VerticalLayout(new H2(name), badge, new Paragraph(part.summary()));
        box.setPadding(false);
        for (Map.Entry<String, Object> detail : new TreeMap<>(part.details()).entrySet()) {
            box.add(new Paragraph(detail.getKey() + ": " + detail.getValue()));
        }
        return box;
    }
}
