package dev.rlhf.annotation.admin;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.combobox.MultiSelectComboBox;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.project.ProjectMemberRepository.Member;
import dev.rlhf.feedback.project.ProjectMemberService;

/**
 * A project's members: the annotators who see it and take its tasks. Admins add accounts from a list
 * of those not yet members and remove members (which ends their open leases in the project).
 */
class MembersPanel extends VerticalLayout {

    final Grid<Member> members = new Grid<>();
    final MultiSelectComboBox<String> candidates = new MultiSelectComboBox<>("Add accounts");
    final Button add = new Button("Add members");
    final Span error = new Span();
    private final ProjectMemberService memberships;
    private final AnnotatorService accounts;
    private final UUID projectId;

    MembersPanel(ProjectMemberService memberships, AnnotatorService accounts, UUID projectId) {
        this.memberships = memberships;
        this.accounts = accounts;
        this.projectId = projectId;
        setPadding(false);
        members.setId("members");
        members.addColumn(Member::username).setHeader("Member").setFlexGrow(2);
        members.addColumn(m -> m.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))).setHeader("Roles");
        members.addColumn(m -> ProjectsView.TIME.format(m.addedAt())).setHeader("Member since");
        members.addComponentColumn(m -> {
            Button remove = new Button("Remove", e -> remove(m.username()));
            remove.setId("remove-member-" + m.username());
            remove.addThemeVariants(ButtonVariant.SMALL, ButtonVariant.ERROR);
            return remove;
        }).setHeader("");
        members.setAllRowsVisible(true);
        candidates.setId("member-candidates");
        candidates.setWidth("28rem");
        add.setId("members-add");
        add.addThemeVariants(ButtonVariant.PRIMARY);
        add.addClickListener(e -> addSelected());
        error.setId("members-error");
        error.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        HorizontalLayout form = new HorizontalLayout(candidates, add);
        form.setAlignItems(Alignment.BASELINE);
        add(new Paragraph("Annotators see this project, its guidelines and its tasks only while they are members; admins see every project. "
                + "Removing a member returns the tasks they hold to the pool."), form, error, members);
        refresh();
    }

    void refresh() {
        List<Member> current = memberships.members(projectId);
        members.setItems(current);
        Set<String> taken = current.stream().map(Member::username).collect(Collectors.toSet());
        List<String> others = accounts.all().stream().filter(a -> !a.isAdmin()).map(Annotator::username).filter(u -> !taken.contains(u))
                .sorted().toList();
        candidates.setItems(others);
    }

    void addSelected() {
        Set<String> chosen = candidates.getValue();
        if (chosen.isEmpty()) {
            error.setText("Choose one or more accounts to add.");
            return;
        }
        try {
            memberships.add(projectId, chosen);
            error.setText("");
            candidates.clear();
        } catch (ApiException rejected) {
            error.setText(rejected.getMessage());
        }
        refresh();
    }

    void remove(String username) {
        try {
            memberships.remove(projectId, username);
            error.setText("");
        } catch (ApiException rejected) {
            error.setText(rejected.getMessage());
        }
        refresh();
    }
}
