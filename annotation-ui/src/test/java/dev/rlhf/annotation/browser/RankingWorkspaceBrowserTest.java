package dev.rlhf.annotation.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import com.microsoft.playwright.Locator;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.schemas.events.RankingSubmitted;

/**
 * An annotator ranks two tasks in a real browser — one by keyboard only, one by drag and drop with a
 * tie and a flag — and both rankings are in PostgreSQL and on {@code rlhf.rankings.v1}. A response
 * carrying a script tag is shown as text and never runs.
 */
class RankingWorkspaceBrowserTest extends BrowserTest {

    static final String SCRIPT = "<script>window.__xss = 1</script>";

    @Autowired
    ProjectService projects;
    @Autowired
    ImportService imports;
    @Autowired
    ProjectMemberService memberships;
    @Autowired
    JdbcClient jdbc;

    @Test
    void annotatorRanksOneTaskByKeyboardAndOneByDragAndDropWithATieAndAFlag() {
        String suffix = Long.toHexString(System.nanoTime());
        UUID project = projects.create(new ProjectService.ProjectSettings("workspace-" + suffix,
                "Prefer the **most coherent** story.", 4, 1, null)).id();
        String lines = """
                {"prompt": "Tell a story about a cat (%s).", "responses": [{"text": "Once upon a time a cat slept.", "model": "a"}, {"text": "%s The cat ran.", "model": "b"}, {"text": "A **bold** cat jumped.", "model": "c"}, {"text": "The end.", "model": "d"}]}
                {"prompt": "Tell a story about a dog (%s).", "responses": [{"text": "A dog barked.", "model": "a"}, {"text": "The dog found a ball.", "model": "b"}, {"text": "Dogs are nice.", "model": "c"}, {"text": "Woof woof.", "model": "d"}]}
                """.formatted(suffix, SCRIPT.replace("\"", "\\\""), suffix);
        var imported = imports.importItems(project, ImportFormat.RESPONSES, new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
        assertThat(imported.imported()).isEqualTo(2);
        UUID other = projects.create(new ProjectService.ProjectSettings("not-mine-" + suffix, "Secret guidelines.", 4, 1, null)).id();
        imports.importItems(other, ImportFormat.RESPONSES, new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
        String username = "ann-" + suffix;
        memberships.createAccount(username, "annotator-password", EnumSet.of(Annotator.Role.ANNOTATOR), List.of(project));

        logIn(username, "annotator-password");
        // Only the projects the annotator is a member of are offered, though the other one has tasks too.
        page.locator("#start-" + project).waitFor();
        assertThat(page.locator("#project-" + other)).hasCount(0);
        assertThat(page.locator("body")).not().containsText("not-mine-" + suffix);
        page.locator("#start-" + project).click();
        page.locator("#ranking-board").waitFor();
        page.evaluate("window.__marker = 42");
        boolean scriptShownAsText = boardShowsScriptAsText();
        screenshot("workspace-desktop");

        // Task 1, keyboard only: select the 2nd card, give it rank 1, tie the 3rd with the one above, submit.
        List<String> first = cardIds();
        page.keyboard().press("ArrowDown");
        page.keyboard().press("1");
        page.keyboard().press("ArrowDown");
        page.keyboard().press("ArrowDown");
        page.keyboard().press("t");
        assertThat(page.locator("#card-" + first.get(2) + " .rank-badge")).hasText("#2 (tie)");
        page.keyboard().press("Enter");

        // The next task appears in place: same page, no reload.
        page.waitForCondition(() -> !cardIds().isEmpty() && !cardIds().contains(first.getFirst()));
        assertThat(page.evaluate("window.__marker")).isEqualTo(42);
        scriptShownAsText |= boardShowsScriptAsText();
        page.setViewportSize(390, 844);
        screenshot("workspace-phone");
        page.setViewportSize(1280, 900);

        // Task 2, mouse: drag the 4th card by its handle onto the 1st, tie the 3rd (now) with the 2nd, flag the last.
        List<String> second = cardIds();
        page.dragAndDrop("#card-" + second.get(3) + " .drag-handle", "#card-" + second.get(0));
        page.waitForCondition(() -> cardIds().getFirst().equals(second.get(3)));
        page.locator("#tie-" + second.get(1)).click();
        page.locator("#flag-harmful-" + second.get(2) + " input").check();
        page.locator("#submit").click();
        assertThat(page.locator("#no-tasks")).isVisible();
        // The workspace of a project they are no member of shows nothing of it, as for one that does not exist.
        page.navigate(url("/rank/" + other));
        assertThat(page.locator("#no-project")).hasText("No such project: " + other);
        assertThat(page.locator("body")).not().containsText("Secret guidelines.");
        page.goBack();
        assertThat(scriptShownAsText).as("the response with a script tag was shown, as text").isTrue();
        assertThat(page.evaluate("typeof window.__xss")).as("and its script never ran").isEqualTo("undefined");

        List<List<String>> expectedKeyboard = List.of(List.of(first.get(1)), List.of(first.get(0), first.get(2)), List.of(first.get(3)));
        List<List<String>> expectedMouse = List.of(List.of(second.get(3)), List.of(second.get(0), second.get(1)), List.of(second.get(2)));

        // In the database, in submission order.
        List<String> stored = jdbc.sql("""
                        SELECT r.ranking FROM rankings r JOIN annotators a ON a.id = r.annotator_id
                        WHERE a.username = ? ORDER BY r.submitted_at""").param(username).query(String.class).list();
        assertThat(stored).hasSize(2);
        assertThat(stored.get(0)).isEqualTo(json(expectedKeyboard));
        assertThat(stored.get(1)).isEqualTo(json(expectedMouse));
        String flags = jdbc.sql("SELECT r.flags FROM rankings r JOIN annotators a ON a.id = r.annotator_id WHERE a.username = ? ORDER BY r.submitted_at DESC")
                .param(username).query(String.class).list().getFirst();
        assertThat(flags).isEqualTo("{\"" + second.get(2) + "\":[\"harmful\"]}");

        // And on the topic, each once.
        Map<String, RankingSubmitted> events = rankingsOnTopicBy(username, 2);
        assertThat(events).hasSize(2);
        assertThat(events.values()).extracting(RankingSubmitted::getRanking).containsExactlyInAnyOrder(expectedKeyboard, expectedMouse);
        assertThat(events.values()).filteredOn(e -> e.getRanking().equals(expectedMouse)).singleElement()
                .satisfies(e -> assertThat(e.getFlags()).isEqualTo(Map.of(second.get(2), List.of("harmful"))));
    }

    /** Whether the task on screen shows the script-tag response literally (its text, not an element). */
    private boolean boardShowsScriptAsText() {
        boolean shown = page.locator("#ranking-board").textContent().contains(SCRIPT);
        assertThat(page.locator("#ranking-board script").count()).isZero();
        return shown;
    }

    private List<String> cardIds() {
        List<String> ids = new ArrayList<>();
        for (Locator card : page.locator("#ranking-board .response-card").all()) {
            ids.add(card.getAttribute("id").substring("card-".length()));
        }
        return ids;
    }

    private static String json(List<List<String>> groups) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < groups.size(); i++) {
            sb.append(i == 0 ? "" : ",").append("[");
            for (int j = 0; j < groups.get(i).size(); j++) {
                sb.append(j == 0 ? "" : ",").append('"').append(groups.get(i).get(j)).append('"');
            }
            sb.append("]");
        }
        return sb.append("]").toString();
    }
}
