package dev.rlhf.annotation.admin;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouteParameters;

import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;
import jakarta.annotation.security.RolesAllowed;

/** Admin: every project, and a form to create one; a row opens the project's console. */
@Route("admin/projects")
@PageTitle("Projects")
@RolesAllowed("ADMIN")
public class ProjectsView extends VerticalLayout {

    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    final Grid<Project> grid = new Grid<>(Project.class, false);
    final ProjectForm form;
    private final ProjectService projects;

    public ProjectsView(ProjectService projects) {
        this.projects = projects;
        grid.setId("projects");
        grid.addColumn(Project::name).setHeader("Name").setFlexGrow(3);
        grid.addColumn(p -> p.feedbackMode().wireName()).setHeader("Feedback mode");
        grid.addColumn(Project::responsesPerTask).setHeader("K");
        grid.addColumn(Project::annotatorsPerTask).setHeader("Annotators per task");
        grid.addColumn(Project::leaseSeconds).setHeader("Lease (s)");
        grid.addColumn(p -> TIME.format(p.createdAt())).setHeader("Created");
        grid.setAllRowsVisible(true);
        grid.addItemClickListener(click -> open(click.getItem()));
        form = new ProjectForm("Create project", projects::create, this::open);
        form.setMaxWidth("48rem");
        add(new H2("Projects"), grid, new H3("New project"), form);
        refresh();
    }

    void refresh() {
        grid.setItems(projects.all());
    }

    private void open(Project project) {
        getUI().ifPresent(ui -> ui.navigate(ProjectDetailView.class, new RouteParameters(ProjectDetailView.PROJECT_ID, project.id().toString())));
    }
}
