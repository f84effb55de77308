package dev.rlhf.annotation.workspace;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.details.Details;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.TextArea;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.router.BeforeEvent;
import com.vaadin.flow.router.HasUrlParameter;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.spring.security.AuthenticationContext;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.task.NextTask;
import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.feedback.task.SubmissionService;
import dev.rlhf.feedback.task.TaskService;
import jakarta.annotation.security.PermitAll;

/**
 * The ranking workspace: the project's guidelines beside the prompt, the K responses as a
 * {@link RankingBoard}, flags, "none acceptable", an optional rewrite; Enter submits and the next
 * task appears in place, without a page reload.
 */
@Route("rank")
@PageTitle("Rank")
@PermitAll
@StyleSheet("context://styles/workspace.css")
public class WorkspaceView extends VerticalLayout implements HasUrlParameter<String> {

    static final int MAX_REWRITE_CHARS = 100_000;

    private final TaskService tasks;
    private final SubmissionService submissions;
    private final String username;

    private UUID projectId;
    private NextTask current;
    private RankingBoard board;
    private Instant shownAt;
    private final Div content = new Div();
    private final Checkbox noneAcceptable = new Checkbox("None of these is acceptable");
    private final TextArea rewrite = new TextArea("Rewrite (optional): a better response, used as a demonstration");

    public WorkspaceView(TaskService tasks, SubmissionService submissions, AuthenticationContext auth) {
        this.tasks = tasks;
        this.submissions = submissions;
        this.username = auth.getPrincipalName().orElseThrow();
        setId("workspace");
        content.setWidthFull();
        noneAcceptable.setId("none-acceptable");
        rewrite.setId("rewrite");
        rewrite.setWidthFull();
        rewrite.setMaxLength(MAX_REWRITE_CHARS);
        add(content);
    }

    @Override
    public void setParameter(BeforeEvent event, String projectParameter) {
        try {
            projectId = UUID.fromString(projectParameter);
        } catch (IllegalArgumentException e) {
            noSuchProject(projectParameter);
            return;
        }
        loadNext();
    }

    /** Also what an annotator sees of a project they are not a member of: nothing, as if it did not exist. */
    private void noSuchProject(String projectParameter) {
        content.removeAll();
        current = null;
        board = null;
        Paragraph missing = new Paragraph("No such project: " + projectParameter);
        missing.setId("no-project");
        content.add(missing);
    }

    /** The task on screen (null when none is left). */
    public NextTask current() {
        return current;
    }

    public RankingBoard board() {
        return board;
    }

    void loadNext() {
        Optional<NextTask> next;
        try {
            next = tasks.next(username, projectId);
        } catch (ApiException notFound) {
            // No such project, or (after a removal, too) not one of this annotator's projects.
            noSuchProject(projectId.toString());
            return;
        }
        content.removeAll();
        current = next.orElse(null);
        if (current == null) {
            board = null;
            Paragraph done = new Paragraph("No tasks left in this project for you. Thank you!");
            done.setId("no-tasks");
            content.add(new H2("All done"), done);
            return;
        }
        noneAcceptable.setValue(false);
        rewrite.clear();
        board = new RankingBoard(current.responses().stream().map(r -> new RankingBoard.Item(r.id().toString(), r.text())).toList());
        board.onSubmit(this::submit);
        board.onSkip(this::askSkip);

        Details guidelines = new Details("Guidelines", SafeMarkdown.view(current.guidelines()));
        guidelines.setOpened(true);
        guidelines.addClassName("guidelines");

        VerticalLayout prompt = new VerticalLayout();
        prompt.setPadding(false);
        prompt.addClassName("prompt");
        for (Turn turn : current.prompt().turns()) {
            Span role = new Span(turn.role().equals(Turn.USER) ? "User" : turn.role().equals(Turn.ASSISTANT) ? "Assistant" : "System");
            role.addClassName("turn-role");
            prompt.add(new Div(role, SafeMarkdown.view(turn.content())));
        }

        Button submit = new Button("Submit (Enter)", e -> submit());
        submit.setId("submit");
        submit.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        Button skip = new Button("Skip (S)", e -> askSkip());
        skip.setId("skip");
        Paragraph keys = new Paragraph("Keys: select a card with ↑/↓ (or K/J), press 1–" + current.responses().size()
                + " to give it that rank, T to tie it with the card above, Enter to submit, S to skip. Or drag a card by its ⠿ handle.");
        keys.addClassName("keys-help");

        // Guidelines in a side panel beside the task (above it, collapsible, on a narrow screen).
        Div main = new Div(new H3("Prompt"), prompt, new H3("Responses, best first"), keys, board, noneAcceptable, rewrite,
                new HorizontalLayout(submit, skip));
        main.addClassName("workspace-main");
        Div aside = new Div(guidelines);
        aside.addClassName("workspace-guidelines");
        Div columns = new Div(main, aside);
        columns.addClassName("workspace-columns");
        content.add(columns);
        shownAt = Instant.now();
        board.focus();
    }

    void submit() {
        if (current == null) {
            return;
        }
        RankingDraft draft = board.draft();
        String text = rewrite.getValue() == null || rewrite.getValue().isBlank() ? null : rewrite.getValue();
        try {
            submissions.submit(username, current.taskId(), new RankingSubmission(draft.groups(), draft.flags(), noneAcceptable.getValue(),
                    text, Duration.between(shownAt, Instant.now()).toMillis()));
        } catch (ApiException | IllegalArgumentException e) {
            Notification n = Notification.show(e.getMessage(), 6000, Notification.Position.MIDDLE);
            n.addThemeVariants(NotificationVariant.LUMO_ERROR);
            return;
        }
        Notification.show("Ranking saved", 1500, Notification.Position.BOTTOM_START);
        loadNext();
    }

    void askSkip() {
        if (current == null) {
            return;
        }
        Dialog dialog = new Dialog();
        dialog.setHeaderTitle("Skip this task");
        TextField reason = new TextField("Why? (e.g. unclear prompt, I lack the expertise)");
        reason.setId("skip-reason");
        reason.setWidthFull();
        reason.setMaxLength(TaskService.MAX_SKIP_REASON_CHARS);
        Button confirm = new Button("Skip", e -> {
            try {
                tasks.skip(username, current.taskId(), reason.getValue());
            } catch (ApiException rejected) {
                // The service's checks (length, characters PostgreSQL cannot store): say so, keep the dialog.
                reason.setErrorMessage(rejected.getMessage());
                reason.setInvalid(true);
                return;
            }
            dialog.close();
            loadNext();
        });
        confirm.setId("confirm-skip");
        confirm.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        dialog.add(reason);
        dialog.getFooter().add(new Button("Cancel", e -> dialog.close()), confirm);
        dialog.open();
        reason.focus();
    }

    List<String> shownOrder() {
        return current == null ? List.of() : current.responses().stream().map(r -> r.id().toString()).toList();
    }
}
