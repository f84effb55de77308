package dev.rlhf.annotation.admin;

import java.util.Arrays;
import java.util.function.Function;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.formlayout.FormLayout;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextArea;
import com.vaadin.flow.component.textfield.TextField;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService.ProjectSettings;
import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * The settings of a project (name, markdown guidelines, feedback mode, K, annotators per task, lease):
 * used to create one and to reconfigure one. Validation is the service's: its message is shown on the
 * form. Choosing the pairwise mode sets K to 2, the only K it takes.
 */
public class ProjectForm extends VerticalLayout {

    final TextField name = new TextField("Name");
    final TextArea guidelines = new TextArea("Guidelines (markdown)");
    final Select<FeedbackMode> feedbackMode = new Select<>();
    final IntegerField responsesPerTask = new IntegerField("Responses per task (K)");
    final IntegerField annotatorsPerTask = new IntegerField("Annotators per task");
    final IntegerField leaseSeconds = new IntegerField("Lease (seconds)");
    final Span error = new Span();
    final Button save;
    /** K of a pairwise project: A and B. */
    static final int PAIRWISE_RESPONSES = 2;

    /** @param saveAction stores the settings through the service and answers the stored project */
    public ProjectForm(String saveLabel, Function<ProjectSettings, Project> saveAction, java.util.function.Consumer<Project> saved) {
        setPadding(false);
        name.setId("project-name");
        name.setWidthFull();
        guidelines.setId("project-guidelines");
        guidelines.setWidthFull();
        guidelines.setMinHeight("8rem");
        guidelines.setHelperText("Shown to annotators beside every task of this project.");
        feedbackMode.setId("project-mode");
        feedbackMode.setLabel("Feedback mode");
        feedbackMode.setItems(Arrays.asList(FeedbackMode.values()));
        feedbackMode.setItemLabelGenerator(ProjectForm::describe);
        feedbackMode.setValue(FeedbackMode.RANKING);
        feedbackMode.setHelperText("What annotators give per task. Pairwise shows 2 responses (K = 2).");
        feedbackMode.setWidth("24rem");
        feedbackMode.addValueChangeListener(e -> {
            boolean pairwise = e.getValue() == FeedbackMode.PAIRWISE;
            if (pairwise) {
                responsesPerTask.setValue(PAIRWISE_RESPONSES);
            }
            // A pairwise project takes no other K; the field says so instead of letting the service refuse it.
            responsesPerTask.setReadOnly(pairwise);
        });
        responsesPerTask.setId("project-k");
        responsesPerTask.setValue(Project.DEFAULT_RESPONSES_PER_TASK);
        responsesPerTask.setStepButtonsVisible(true);
        annotatorsPerTask.setId("project-annotators");
        annotatorsPerTask.setValue(Project.DEFAULT_ANNOTATORS_PER_TASK);
        annotatorsPerTask.setStepButtonsVisible(true);
        leaseSeconds.setId("project-lease");
        leaseSeconds.setValue(Project.DEFAULT_LEASE_SECONDS);
        leaseSeconds.setHelperText("How long a task stays with one annotator before it returns to the pool.");
        error.setId("project-error");
        error.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        error.setVisible(false);
        save = new Button(saveLabel, e -> {
            String missing = missingNumber();
            if (missing != null) {
                // An empty or unparsable field reads as null, which the service would silently take as its default.
                error.setText(missing + " must be a whole number");
                error.setVisible(true);
                return;
            }
            try {
                Project project = saveAction.apply(settings());
                error.setVisible(false);
                saved.accept(project);
            } catch (ApiException rejected) {
                error.setText(rejected.getMessage());
                error.setVisible(true);
            }
        });
        save.setId("project-save");
        save.addThemeVariants(ButtonVariant.PRIMARY);
        FormLayout numbers = new FormLayout(responsesPerTask, annotatorsPerTask, leaseSeconds);
        numbers.setResponsiveSteps(new FormLayout.ResponsiveStep("0", 1), new FormLayout.ResponsiveStep("40em", 3));
        numbers.setWidthFull();
        add(name, guidelines, feedbackMode, numbers, error, save);
    }

    /** Shows a stored project's settings. */
    public void show(Project project) {
        name.setValue(project.name());
        guidelines.setValue(project.guidelines() == null ? "" : project.guidelines());
        feedbackMode.setValue(project.feedbackMode());
        responsesPerTask.setValue(project.responsesPerTask());
        annotatorsPerTask.setValue(project.annotatorsPerTask());
        leaseSeconds.setValue(project.leaseSeconds());
        error.setVisible(false);
    }

    /** The error the service gave for the last save, or "" when it was accepted. */
    public String errorText() {
        return error.isVisible() ? error.getText() : "";
    }

    private String missingNumber() {
        for (IntegerField field : new IntegerField[] {responsesPerTask, annotatorsPerTask, leaseSeconds}) {
            if (field.getValue() == null) {
                return field.getLabel();
            }
        }
        return null;
    }

    ProjectSettings settings() {
        return new ProjectSettings(name.getValue(), guidelines.getValue(), responsesPerTask.getValue(), annotatorsPerTask.getValue(),
                leaseSeconds.getValue(), feedbackMode.getValue().wireName());
    }

    /** The mode as the select lists it. */
    static String describe(FeedbackMode mode) {
        return switch (mode) {
            case RANKING -> "Ranking: order all K responses (ties allowed)";
            case PAIRWISE -> "Pairwise: A or B, graded (A >> B … B >> A)";
            case RATING -> "Rating: each response 1 to 7";
            case BINARY -> "Binary: thumbs up or down per response";
        };
    }
}
