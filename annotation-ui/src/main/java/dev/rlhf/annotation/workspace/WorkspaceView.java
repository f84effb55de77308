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
import dev.rlhf.schemas.ranking.FeedbackMode;
import jakarta.annotation.security.PermitAll;

/**
 * The annotation workspace: the project's guidelines beside the prompt, the K responses on the board
 * of the project's feedback mode ({@link RankingBoard}, {@link PairwiseBoard}, {@link RatingBoard},
 * {@link ThumbsBoard}), flags, "none acceptable", an optional rewrite; Enter submits once the mode's
 * judgement is complete and the next task appears in place, without a page reload.
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
    private FeedbackBoard board;
    private Instant shownAt;
    /** The "still missing" notice of an early Enter, closed as soon as the judgement is complete. */
    private Notification missingNotice;
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

    /** The ranking board of a ranking task (null in the other feedback modes). */
    public RankingBoard board() {
        return board instanceof RankingBoard ranking ? ranking : null;
    }

    /** The board of the task on screen, whatever its feedback mode (null when no task is). */
    public FeedbackBoard feedbackBoard() {
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
        if (current.feedbackMode() == FeedbackMode.PAIRWISE && current.responses().size() != 2) {
            unjudgeablePair();
            return;
        }
        board = boardFor(current);
        board.onSubmit(this::submit);
        // A notice that something is missing must not outlive the gap: after each key or click on the board, close it once
        // the judgement is complete.
        for (String event : new String[] {"keyup", "click"}) {
            board.component().getElement().addEventListener(event, e -> closeMissingNoticeIfComplete());
        }
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
        Paragraph keys = new Paragraph(board.keysHelp());
        keys.setId("keys-help");
        keys.addClassName("keys-help");
        // Screen readers announce the focused board by its question and its keys.
        board.component().getElement().setAttribute("aria-label", board.heading());
        board.component().getElement().setAttribute("aria-describedby", "keys-help");

        // Guidelines in a side panel beside the task (above it, collapsible, on a narrow screen).
        Div main = new Div(new H3("Prompt"), prompt, new H3(board.heading()), keys, board.component(), noneAcceptable, rewrite,
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

    /**
     * A task made before its project became pairwise shows more than two responses, which no graded pair
     * judges (the service refuses more than two groups): say so and offer only the skip.
     */
    private void unjudgeablePair() {
        board = null;
        Paragraph why = new Paragraph("This task shows " + current.responses().size() + " responses, but this project now compares pairs:"
                + " the task was made before the project became pairwise and cannot be judged here. Skip it to get the next one.");
        why.setId("unjudgeable");
        // Focused, so Enter or Space skips; no S shortcut here, it would fire while typing the reason.
        Button skip = new Button("Skip", e -> askSkip());
        skip.setId("skip");
        content.add(new H2("Cannot compare this task"), why, skip);
        skip.focus();
    }

    /** The board that collects what the task's feedback mode asks for, its responses in the annotator's shown order. */
    static FeedbackBoard boardFor(NextTask task) {
        List<RankingBoard.Item> shown = task.responses().stream().map(r -> new RankingBoard.Item(r.id().toString(), r.text())).toList();
        FeedbackMode mode = task.feedbackMode() == null ? FeedbackMode.RANKING : task.feedbackMode();
        return switch (mode) {
            case RANKING -> new RankingBoard(shown);
            case PAIRWISE -> new PairwiseBoard(shown);
            case RATING -> new RatingBoard(shown);
            case BINARY -> new ThumbsBoard(shown);
        };
    }

    void submit() {
        if (current == null || board == null) {
            return;
        }
        String missing = board.missing();
        if (missing != null) {
            if (missingNotice != null) {
                missingNotice.close();
            }
            missingNotice = showError(missing);
            return;
        }
        closeMissingNoticeIfComplete();
        String text = rewrite.getValue() == null || rewrite.getValue().isBlank() ? null : rewrite.getValue();
        RankingSubmission submission = board.submission(noneAcceptable.getValue(), text, Duration.between(shownAt, Instant.now()).toMillis());
        try {
            submissions.submit(username, current.taskId(), submission);
        } catch (ApiException | IllegalArgumentException e) {
            showError(e.getMessage());
            return;
        }
        Notification.show(board.mode() == FeedbackMode.RANKING ? "Ranking saved" : "Saved", 1500, Notification.Position.BOTTOM_START);
        loadNext();
    }

    private static Notification showError(String message) {
        Notification n = Notification.show(message, 6000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
        return n;
    }

    private void closeMissingNoticeIfComplete() {
        if (missingNotice != null && board != null && board.missing() == null) {
            missingNotice.close();
            missingNotice = null;
        }
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
