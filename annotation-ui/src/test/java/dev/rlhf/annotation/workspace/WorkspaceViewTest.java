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
import com.vaadin.flow.component.textfield.TextArea;
import com.vaadin.flow.component.textfield.TextField;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.annotation.HomeView;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.testing.TestInfrastructure;

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
