package dev.rlhf.annotation.admin;

import java.util.Optional;
import java.util.UUID;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.HasDynamicTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.shared.Registration;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.export.ExportService;
import dev.rlhf.feedback.imports.GoldItemService;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.policy.PolicyVersionService;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.stats.ProjectStatsService;
import jakarta.annotation.security.RolesAllowed;

/**
 * The console of one project: settings, imports, members, live progress and agreement, gold items, exports
 * and policy versions. While it is open the figures refresh themselves every {@value #REFRESH_MS} ms.
 */
@Route("admin/projects/:" + ProjectDetailView.PROJECT_ID)
@RolesAllowed("ADMIN")
public class ProjectDetailView extends VerticalLayout implements BeforeEnterObserver, HasDynamicTitle {

    static final String PROJECT_ID = "projectId";
    static final int REFRESH_MS = 5000;

    private final ProjectService projects;
    private final ImportService imports;
    private final ProjectStatsService stats;
    private final GoldItemService goldItems;
    private final ExportService exports;
    private final PolicyVersionService policies;
    private final ProjectMemberService memberships;
    private final AnnotatorService accounts;
    private final H2 title = new H2();
    private Project project;
    ProjectForm settings;
    ImportPanel importPanel;
    StatsPanel statsPanel;
    GoldPanel goldPanel;
    ExportPanel exportPanel;
    PolicyVersionsPanel policyPanel;
    MembersPanel membersPanel;
    private Registration polling;

    public ProjectDetailView(ProjectService projects, ImportService imports, ProjectStatsService stats, GoldItemService goldItems,
                             ExportService exports, PolicyVersionService policies, ProjectMemberService memberships,
                             AnnotatorService accounts) {
        this.projects = projects;
        this.imports = imports;
        this.stats = stats;
        this.goldItems = goldItems;
        this.exports = exports;
        this.policies = policies;
        this.memberships = memberships;
        this.accounts = accounts;
        setMaxWidth("80rem");
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        Optional<Project> found = event.getRouteParameters().get(PROJECT_ID).flatMap(ProjectDetailView::uuid).flatMap(this::find);
        removeAll();
        add(new RouterLink("← All projects", ProjectsView.class));
        if (found.isEmpty()) {
            project = null;
            settings = null;
            importPanel = null;
            statsPanel = null;
            goldPanel = null;
            exportPanel = null;
            policyPanel = null;
            membersPanel = null;
            add(new H2("No such project"), new Span("The project does not exist (any more)."));
            return;
        }
        project = found.get();
        title.setText(project.name());
        title.setId("project-title");
        UUID id = project.id();
        settings = new ProjectForm("Save settings", s -> projects.update(id, s), updated -> {
            project = updated;
            title.setText(updated.name());
        });
        settings.show(project);
        settings.setMaxWidth("48rem");
        statsPanel = new StatsPanel(stats, id);
        goldPanel = new GoldPanel(goldItems, id);
        policyPanel = new PolicyVersionsPanel(policies, id);
        importPanel = new ImportPanel(imports, id, this::refresh);
        exportPanel = new ExportPanel(exports, id);
        membersPanel = new MembersPanel(memberships, accounts, id);
        add(title,
                section("Import", importPanel),
                section("Members", membersPanel),
                section("Progress and agreement", statsPanel),
                section("Gold items", goldPanel),
                section("Exports", exportPanel),
                section("Policy versions", policyPanel),
                section("Settings", settings));
    }

    public Project project() {
        return project;
    }

    /** Re-reads the figures that change while the page is open. */
    void refresh() {
        if (project != null) {
            statsPanel.refresh();
            goldPanel.refresh();
            policyPanel.refresh();
        }
    }

    @Override
    protected void onAttach(AttachEvent attachEvent) {
        super.onAttach(attachEvent);
        UI ui = attachEvent.getUI();
        ui.setPollInterval(REFRESH_MS);
        polling = ui.addPollListener(poll -> refresh());
    }

    @Override
    protected void onDetach(DetachEvent detachEvent) {
        if (polling != null) {
            polling.remove();
            polling = null;
        }
        detachEvent.getUI().setPollInterval(-1);
        super.onDetach(detachEvent);
    }

    @Override
    public String getPageTitle() {
        return project == null ? "Project" : project.name();
    }

    private static Component section(String heading, Component content) {
        VerticalLayout section = new VerticalLayout(new H3(heading), content);
        section.setPadding(false);
        section.setId("section-" + heading.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z]+", "-"));
        return section;
    }

    private Optional<Project> find(UUID id) {
        try {
            return Optional.of(projects.get(id));
        } catch (ApiException notFound) {
            return Optional.empty();
        }
    }

    private static Optional<UUID> uuid(String value) {
        try {
            return Optional.of(UUID.fromString(value));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
