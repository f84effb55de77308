package dev.rlhf.annotation.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.test.context.support.WithMockUser;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.vaadin.browserless.SpringBrowserlessTest;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.textfield.TextArea;
import com.vaadin.flow.component.textfield.TextField;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.annotation.HomeView;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The workspace and home screens' logic, without a browser, against the real services and database. */
@SpringBootTest(classes = AnnotationApplication.class, properties = "logging.file.name=target/test-logs/ui.log")
class WorkspaceViewTest extends SpringBrowserlessTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();
    /** The first admin, created at start-up, is also an annotator; it exists before the UI opens. */
    static final String ANNOTATOR = TestInfrastructure.ADMIN;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @Autowired
    ProjectService projects;
    @Autowired
    ImportService imports;
    @Autowired
    JdbcClient jdbc;

    static final JsonMapper JSON = JsonMapper.builder().build();

    UUID project;

    @BeforeEach
    void projectWithTwoTasks() {
        project = projects.create(new ProjectService.ProjectSettings("views-" + UUID.randomUUID(), "Be kind.", 3, 1, null)).id();
        String lines = """
                {"prompt": "First prompt", "responses": [{"text": "one"}, {"text": "two"}, {"text": "three"}]}
                {"prompt": "Second prompt", "responses": [{"text": "uno"}, {"text": "dos"}, {"text": "tres"}]}
                """;
        imports.importItems(project, ImportFormat.RESPONSES, new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void keysRankTiesAndSubmitThenTheNextTaskAppearsAndFinallyNoneIsLeft() {
        WorkspaceView view = navigate("rank/" + project, WorkspaceView.class);
        RankingBoard board = view.board();
        List<String> shown = view.shownOrder();
        assertThat(shown).hasSize(3);
        UUID firstTask = view.current().taskId();

        board.selectNext(1);          // ↓: the 2nd card
        board.moveSelectedTo(1);      // 1: it becomes the best
        board.selectNext(2);          // ↓↓: the 3rd card
        board.toggleTieOfSelected();  // T: tied with the one above
        test($(Checkbox.class).id("none-acceptable")).click();
        test($(TextArea.class).id("rewrite")).setValue("A better answer.");
        test($(Button.class).id("submit")).click();

        String stored = jdbc.sql("SELECT ranking FROM rankings WHERE task_id = ?").param(firstTask).query(String.class).single();
        assertThat(stored).isEqualTo("[[\"" + shown.get(1) + "\"],[\"" + shown.get(0) + "\",\"" + shown.get(2) + "\"]]");
        assertThat(jdbc.sql("SELECT rewrite FROM rankings WHERE task_id = ?").param(firstTask).query(String.class).single())
                .isEqualTo("A better answer.");
        assertThat(jdbc.sql("SELECT none_acceptable FROM rankings WHERE task_id = ?").param(firstTask).query(Boolean.class).single()).isTrue();

        // The second task is on screen with a fresh form.
        assertThat(view.current().taskId()).isNotEqualTo(firstTask);
        assertThat($(Checkbox.class).id("none-acceptable").getValue()).isFalse();
        assertThat($(TextArea.class).id("rewrite").getValue()).isEmpty();

        // S: skip with a reason; nothing is left for this annotator.
        view.askSkip();
        test($(TextField.class).id("skip-reason")).setValue("Unclear prompt");
        test($(Button.class).id("confirm-skip")).click();
        assertThat(view.current()).isNull();
        assertThat($(Paragraph.class).id("no-tasks").getText()).contains("No tasks left");
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void aSkipReasonTheServiceRefusesIsShownOnTheFieldAndTheTaskStays() {
        WorkspaceView view = navigate("rank/" + project, WorkspaceView.class);
        UUID task = view.current().taskId();

        view.askSkip();
        TextField reason = $(TextField.class).id("skip-reason");
        test(reason).setValue("Unclear\u0000");
        test($(Button.class).id("confirm-skip")).click();
        assertThat(reason.isInvalid()).isTrue();
        assertThat(reason.getErrorMessage()).startsWith("reason contains a NUL character");
        assertThat(view.current().taskId()).as("still on the task").isEqualTo(task);
        assertThat(jdbc.sql("SELECT status FROM assignments WHERE task_id = ?").param(task).query(String.class).single()).isNotEqualTo("SKIPPED");

        test(reason).setValue("Unclear");
        test($(Button.class).id("confirm-skip")).click();
        assertThat(jdbc.sql("SELECT skip_reason FROM assignments WHERE task_id = ?").param(task).query(String.class).single()).isEqualTo("Unclear");
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void aFlagTickedWhileAnEditIsInFlightIsKeptBecauseCardsAreUpdatedNotRebuilt() {
        WorkspaceView view = navigate("rank/" + project, WorkspaceView.class);
        RankingBoard board = view.board();
        List<String> shown = view.shownOrder();
        // The browser still shows this checkbox when the annotator ticks it; the tie and the move
        // before it are edits whose answers may not have arrived yet.
        Checkbox harmful = $(Checkbox.class).id("flag-harmful-" + shown.get(2));

        test($(Button.class).id("tie-" + shown.get(1))).click();
        board.select(shown.get(2));
        board.moveSelectedTo(1);
        assertThat(harmful.isAttached()).as("the same checkbox is still on the board").isTrue();
        test(harmful).click();

        assertThat(board.draft().flags()).isEqualTo(Map.of(shown.get(2), List.of("harmful")));
        assertThat(board.draft().order()).containsExactly(shown.get(2), shown.get(0), shown.get(1));
        assertThat(board.getChildren().map(c -> c.getId().orElseThrow()))
                .containsExactly("card-" + shown.get(2), "card-" + shown.get(0), "card-" + shown.get(1));
        assertThat($(Span.class, $(Div.class).id("card-" + shown.get(1)))
                .withClassName("rank-badge").single().getText()).isEqualTo("#2 (tie)");
    }

    /** A project in {@code mode} with one task of {@code k} responses; its id. */
    UUID projectIn(FeedbackMode mode, int k) {
        UUID id = projects.create(new ProjectService.ProjectSettings(mode + "-views-" + UUID.randomUUID(), "Judge kindly.", k, 1, null,
                mode.wireName())).id();
        StringBuilder responses = new StringBuilder();
        for (int i = 0; i < k; i++) {
            responses.append(i == 0 ? "" : ", ").append("{\"text\": \"answer ").append(i).append("\"}");
        }
        String line = "{\"prompt\": \"A " + mode + " prompt\", \"responses\": [" + responses + "]}\n";
        imports.importItems(id, ImportFormat.RESPONSES, new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)));
        return id;
    }

    /** The stored ranking of the task: its mode, tie groups, strength, ratings and labels, as the database holds them. */
    Map<String, Object> storedGrades(UUID task) {
        return jdbc.sql("SELECT feedback_mode, ranking, strength, ratings, labels FROM rankings WHERE task_id = ?").param(task).query().singleRow();
    }

    String lastNotification() {
        return test($(Notification.class).last()).getText();
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void pairwiseKeysGradeTheChoiceAndEnterSubmitsOnlyOnceOneIsChosen() {
        UUID pairwise = projectIn(FeedbackMode.PAIRWISE, 2);
        WorkspaceView view = navigate("rank/" + pairwise, WorkspaceView.class);
        assertThat(view.board()).as("no ranking board").isNull();
        PairwiseBoard board = (PairwiseBoard) view.feedbackBoard();
        assertThat($(Paragraph.class).id("keys-help").getText()).contains("1 A >> B").contains("5 B >> A");
        List<String> shown = view.shownOrder();
        UUID task = view.current().taskId();

        view.submit(); // Enter before choosing
        assertThat(lastNotification()).startsWith("Choose which response is better");
        assertThat(view.current().taskId()).isEqualTo(task);

        board.choose(PairwiseKeys.choiceOf(5)); // 5: B >> A
        board.choose(PairwiseKeys.choiceOf(4)); // 4: B > A, the annotator changed their mind
        assertThat($(Button.class).id("choice-4").getElement().getAttribute("aria-pressed")).isEqualTo("true");
        assertThat($(Button.class).id("choice-5").getElement().getAttribute("aria-pressed")).isEqualTo("false");
        view.submit();

        Map<String, Object> stored = storedGrades(task);
        assertThat(stored.get("feedback_mode")).isEqualTo("pairwise");
        assertThat(stored.get("ranking")).isEqualTo("[[\"" + shown.get(1) + "\"],[\"" + shown.get(0) + "\"]]");
        assertThat(stored.get("strength")).isEqualTo(1);
        assertThat(view.current()).as("the only task is done").isNull();
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void ratingKeysRateTheSelectedResponseAndTheRatingsAreStored() {
        UUID rating = projectIn(FeedbackMode.RATING, 3);
        WorkspaceView view = navigate("rank/" + rating, WorkspaceView.class);
        RatingBoard board = (RatingBoard) view.feedbackBoard();
        List<String> shown = view.shownOrder();
        UUID task = view.current().taskId();

        board.rate(board.selected(), 6);   // 6 on the first
        board.selectNext(1);               // ↓
        board.rate(board.selected(), 2);   // 2
        view.submit();
        assertThat(lastNotification()).isEqualTo("Rate every response from 1 to 7 (1 of 3 not rated yet)");
        assertThat($(Span.class).id("feedback-status").getText()).isEqualTo("Rate every response from 1 to 7 (1 of 3 not rated yet).");
        board.selectNext(1);               // ↓
        board.rate(board.selected(), 6);   // 6: tied with the first
        test($(Checkbox.class).id("flag-untruthful-" + shown.get(1))).click();
        assertThat($(Div.class).id("card-" + shown.get(2)).getElement().getAttribute("data-rating")).isEqualTo("6");
        view.submit();

        Map<String, Object> stored = storedGrades(task);
        assertThat(stored.get("feedback_mode")).isEqualTo("rating");
        assertThat(JSON.readValue((String) stored.get("ratings"), new TypeReference<Map<String, Integer>>() { }))
                .isEqualTo(Map.of(shown.get(0), 6, shown.get(1), 2, shown.get(2), 6));
        assertThat(JSON.readValue((String) stored.get("ranking"), new TypeReference<List<List<String>>>() { }))
                .satisfiesExactly(top -> assertThat(top).containsExactlyInAnyOrder(shown.get(0), shown.get(2)),
                        bottom -> assertThat(bottom).containsExactly(shown.get(1)));
        assertThat(jdbc.sql("SELECT flags FROM rankings WHERE task_id = ?").param(task).query(String.class).single())
                .isEqualTo("{\"" + shown.get(1) + "\":[\"untruthful\"]}");
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void thumbsKeysLabelTheSelectedResponseAndTheLabelsAreStored() {
        UUID binary = projectIn(FeedbackMode.BINARY, 3);
        WorkspaceView view = navigate("rank/" + binary, WorkspaceView.class);
        ThumbsBoard board = (ThumbsBoard) view.feedbackBoard();
        List<String> shown = view.shownOrder();
        UUID task = view.current().taskId();

        board.label(board.selected(), false); // D on the first
        board.selectNext(-1);                  // ↑ wraps to the last
        board.label(board.selected(), true);   // U
        view.submit();
        assertThat(lastNotification()).isEqualTo("Give every response a thumbs up or down (1 of 3 still open)");
        test($(Button.class).id("thumb-up-" + shown.get(1))).click();
        assertThat(board.selected()).as("a click selects the card too").isEqualTo(shown.get(1));
        view.submit();

        Map<String, Object> stored = storedGrades(task);
        assertThat(stored.get("feedback_mode")).isEqualTo("binary");
        assertThat(JSON.readValue((String) stored.get("labels"), new TypeReference<Map<String, Boolean>>() { }))
                .isEqualTo(Map.of(shown.get(0), false, shown.get(1), true, shown.get(2), true));
        assertThat(stored.get("strength")).isNull();
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void aTaskOfThreeResponsesInAProjectThatBecamePairwiseIsExplainedAndCanOnlyBeSkipped() {
        UUID became = projectIn(FeedbackMode.RANKING, 3);
        var project = projects.get(became);
        projects.update(became, new ProjectService.ProjectSettings(project.name(), project.guidelines(), 2, 1, null, "pairwise"));
        WorkspaceView view = navigate("rank/" + became, WorkspaceView.class);
        assertThat(view.feedbackBoard()).isNull();
        assertThat($(Paragraph.class).id("unjudgeable").getText()).startsWith("This task shows 3 responses, but this project now compares pairs");
        view.submit(); // Enter does nothing

        test($(Button.class).id("skip")).click();
        test($(TextField.class).id("skip-reason")).setValue("Three responses in a pairwise project");
        test($(Button.class).id("confirm-skip")).click();
        assertThat($(Paragraph.class).id("no-tasks").getText()).contains("No tasks left");
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void homeShowsMyProgressPerProject() {
        HomeView home = navigate(HomeView.class);
        Paragraph progress = $(Paragraph.class, $view(Div.class).id("project-" + project)).single();
        assertThat(progress.getText()).isEqualTo("You ranked 0 · 2 tasks available");
        assertThat(home).isNotNull();
    }

    @Test
    @WithMockUser(username = ANNOTATOR, roles = "ANNOTATOR")
    void anInvalidProjectInTheAddressIsSaidPlainly() {
        navigate("rank/not-a-uuid", WorkspaceView.class);
        assertThat($(Paragraph.class).single().getText()).isEqualTo("No such project: not-a-uuid");
    }
}
