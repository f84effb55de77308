package dev.rlhf.annotation;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.spring.security.AuthenticationContext;

import dev.rlhf.annotation.workspace.WorkspaceView;
import dev.rlhf.feedback.annotator.AnnotatorProgressService;
import jakarta.annotation.security.PermitAll;

/** Annotator home: my projects (those I am a member of; every project for an admin), my progress, and the way to the next task. */
@Route("")
@PageTitle("My projects")
@PermitAll
public class HomeView extends VerticalLayout implements BeforeEnterObserver {

    private final AnnotatorProgressService progress;
    private final AuthenticationContext auth;

    public HomeView(AnnotatorProgressService progress, AuthenticationContext auth) {
        this.progress = progress;
        this.auth = auth;
    }

    /** Rebuilt on every visit, so the figures are current after each ranking session. */
    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        removeAll();
        add(new H2("My projects"));
        var projects = progress.progressOf(auth.getPrincipalName().orElseThrow());
        if (projects.isEmpty()) {
            Paragraph none = new Paragraph("No projects yet. An admin creates projects, imports prompts and adds you as a member.");
            none.setId("no-projects");
            add(none);
        }
        Div cards = new Div();
        cards.getStyle().set("display", "flex").set("flex-wrap", "wrap").set("gap", "1rem");
        for (var p : projects) {
            Div card = new Div();
            card.setId("project-" + p.project().id());
            card.getStyle().set("border", "1px solid rgba(0,0,0,.15)").set("border-radius", "8px").set("padding", "0.75rem 1rem")
                    .set("min-width", "260px").set("flex", "1 1 300px").set("background", "white");
            Paragraph figures = new Paragraph("You ranked " + p.ranked() + " · " + p.available() + " task"
                    + (p.available() == 1 ? "" : "s") + " available");
            figures.addClassName("progress");
            Button start = new Button(p.available() > 0 ? "Rank next task" : "Nothing left to rank",
                    e -> getUI().ifPresent(ui -> ui.navigate(WorkspaceView.class, p.project().id().toString())));
            start.setEnabled(p.available() > 0);
            start.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
            start.setId("start-" + p.project().id());
            card.add(new H3(p.project().name()), figures, start);
            cards.add(card);
        }
        add(cards);
    }
}
