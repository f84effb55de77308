package dev.rlhf.annotation.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import com.microsoft.playwright.Locator;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.export.ExportRequest;
import dev.rlhf.feedback.export.ExportService;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * One task in each graded feedback mode, end to end in a real browser: an admin creates the project in
 * that mode on the console's form, an annotator completes its one task by keyboard only, and the grade
 * (strength, ratings or thumbs), the mode and the derived tie groups are in PostgreSQL and in the
 * {@code RankingSubmitted} event on {@code rlhf.rankings.v1}, and in the exports: {@code pairs} with their
 * {@code margin}, {@code rankings} with the grades, {@code kto} with the unpaired labels.
 */
class FeedbackModesBrowserTest extends BrowserTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    ImportService imports;
    @Autowired
    ProjectMemberService memberships;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    ExportService exports;

    /** What a test completed: the project, the annotator, the one ranking stored, and the responses in the order shown. */
    record Completed(UUID projectId, String annotator, UUID rankingId, List<String> shown) {
    }

    @Test
    void pairwiseByKeyboardStoresTheGradedChoice() {
        Completed done = completeOneTask(FeedbackMode.PAIRWISE, "pairwise", () -> {
            assertThat(page.locator("#keys-help")).containsText("1 A >> B");
            assertThat(page.locator("#pairwise-board")).hasAttribute("aria-describedby", "keys-help");
            assertThat(page.locator("#choice-1")).hasAttribute("aria-label", "A is much better (key 1)");
            // Enter before a choice submits nothing and says what is missing.
            page.keyboard().press("Enter");
            assertThat(page.locator("vaadin-notification-card").last()).containsText("Choose which response is better");
            page.keyboard().press("5"); // B >> A
            page.keyboard().press("4"); // B > A: changed their mind
            assertThat(page.locator("#choice-4")).hasAttribute("aria-pressed", "true");
            assertThat(page.locator("#choice-5")).hasAttribute("aria-pressed", "false");
            screenshot("workspace-pairwise-graded");
            page.setViewportSize(390, 844);
            screenshot("workspace-pairwise-phone");
            page.setViewportSize(1280, 900);
            page.keyboard().press("Enter");
        });
        List<String> shown = done.shown();
        List<List<String>> expected = List.of(List.of(shown.get(1)), List.of(shown.get(0)));

        Map<String, Object> row = storedRanking(done);
        assertThat(row.get("feedback_mode")).isEqualTo("pairwise");
        assertThat(row.get("strength")).isEqualTo(1);
        assertThat(groups((String) row.get("ranking"))).isEqualTo(expected);

        RankingSubmitted event = theEventOf(done);
        assertThat(event.getFeedbackMode()).isEqualTo("pairwise");
        assertThat(event.getStrength()).isEqualTo(1);
        assertThat(event.getRanking()).isEqualTo(expected);

        // B > A: one pair, B chosen, with the strength as its margin.
        assertThat(export(done, "pairs")).singleElement().satisfies(pair -> {
            assertThat(pair).containsEntry("chosen_id", shown.get(1)).containsEntry("rejected_id", shown.get(0));
            assertThat(pair).containsEntry("margin", 1.0);
        });
        assertThat(export(done, "rankings")).singleElement().satisfies(line ->
                assertThat(line).containsEntry("feedback_mode", "pairwise").containsEntry("strength", 1));
        // The winner desirable, the loser not (TRL's split of paired data).
        assertThat(ktoLabels(done)).isEqualTo(Map.of(shown.get(1), true, shown.get(0), false));
    }

    @Test
    void ratingByKeyboardStoresEachResponsesRating() {
        Completed done = completeOneTask(FeedbackMode.RATING, "rating", () -> {
            assertThat(page.locator("#keys-help")).containsText("press 1–7 to rate it");
            assertThat(page.locator("#rate-7-" + shownIds().getFirst())).hasAttribute("aria-label", "Rate response 1 7 of 7");
            page.keyboard().press("6");
            page.keyboard().press("ArrowDown");
            page.keyboard().press("2");
            page.keyboard().press("Enter"); // one response still unrated: nothing is submitted
            assertThat(page.locator("#feedback-status")).hasText("Rate every response from 1 to 7 (1 of 3 not rated yet).");
            page.keyboard().press("j");
            page.keyboard().press("6");
            assertThat(page.locator("[aria-current='true']")).hasAttribute("data-rating", "6");
            screenshot("workspace-rating-graded");
            page.keyboard().press("Enter");
        });
        List<String> shown = done.shown();
        Map<String, Integer> expected = Map.of(shown.get(0), 6, shown.get(1), 2, shown.get(2), 6);

        Map<String, Object> row = storedRanking(done);
        assertThat(row.get("feedback_mode")).isEqualTo("rating");
        assertThat(JSON.readValue((String) row.get("ratings"), new TypeReference<Map<String, Integer>>() { })).isEqualTo(expected);
        // 6 and 6 tie above 2.
        assertThat(groups((String) row.get("ranking"))).satisfiesExactly(
                top -> assertThat(top).containsExactlyInAnyOrder(shown.get(0), shown.get(2)),
                bottom -> assertThat(bottom).containsExactly(shown.get(1)));

        RankingSubmitted event = theEventOf(done);
        assertThat(event.getFeedbackMode()).isEqualTo("rating");
        assertThat(event.getRatings()).isEqualTo(expected);
        assertThat(event.getStrength()).isNull();

        // Two pairs, each 6 over 2: margin 6 - 2 = 4; the tie of the two 6s gives no pair.
        assertThat(export(done, "pairs")).hasSize(2).allSatisfy(pair -> {
            assertThat(pair).containsEntry("rejected_id", shown.get(1)).containsEntry("margin", 4.0);
            assertThat(pair.get("chosen_id")).isIn(shown.get(0), shown.get(2));
        });
        assertThat(export(done, "rankings")).singleElement().satisfies(line -> {
            assertThat(line).containsEntry("feedback_mode", "rating");
            assertThat(line.get("ratings")).isEqualTo(expected);
        });
        // 6 >= 5 desirable, 2 <= 3 undesirable.
        assertThat(ktoLabels(done)).isEqualTo(Map.of(shown.get(0), true, shown.get(1), false, shown.get(2), true));
    }

    @Test
    void binaryByKeyboardStoresEachResponsesThumb() {
        Completed done = completeOneTask(FeedbackMode.BINARY, "binary", () -> {
            assertThat(page.locator("#keys-help")).containsText("press U for thumbs up or D for thumbs down");
            page.keyboard().press("u");
            page.keyboard().press("j");
            page.keyboard().press("d");
            page.keyboard().press("ArrowDown");
            page.keyboard().press("u");
            assertThat(page.locator("#feedback-status")).hasText("Complete: Enter submits.");
            screenshot("workspace-binary-graded");
            page.setViewportSize(390, 844);
            screenshot("workspace-binary-phone");
            page.setViewportSize(1280, 900);
            page.keyboard().press("Enter");
        });
        List<String> shown = done.shown();
        Map<String, Boolean> expected = Map.of(shown.get(0), true, shown.get(1), false, shown.get(2), true);

        Map<String, Object> row = storedRanking(done);
        assertThat(row.get("feedback_mode")).isEqualTo("binary");
        assertThat(JSON.readValue((String) row.get("labels"), new TypeReference<Map<String, Boolean>>() { })).isEqualTo(expected);
        assertThat(groups((String) row.get("ranking"))).satisfiesExactly(
                up -> assertThat(up).containsExactlyInAnyOrder(shown.get(0), shown.get(2)),
                down -> assertThat(down).containsExactly(shown.get(1)));

        RankingSubmitted event = theEventOf(done);
        assertThat(event.getFeedbackMode()).isEqualTo("binary");
        assertThat(event.getLabels()).isEqualTo(expected);

        // Thumbs up over thumbs down: two pairs, without a margin (thumbs grade nothing).
        assertThat(export(done, "pairs")).hasSize(2).allSatisfy(pair -> {
            assertThat(pair).containsEntry("rejected_id", shown.get(1)).doesNotContainKey("margin");
            assertThat(pair.get("chosen_id")).isIn(shown.get(0), shown.get(2));
        });
        assertThat(export(done, "rankings")).singleElement().satisfies(line -> {
            assertThat(line).containsEntry("feedback_mode", "binary");
            assertThat(line.get("labels")).isEqualTo(expected);
        });
        assertThat(ktoLabels(done)).isEqualTo(expected);
    }

    /**
     * The whole flow in {@code mode}: the admin creates the project on the console's form and one prompt
     * is imported; an annotator logs in, opens the project and {@code keys} completes its one task (the
     * board has focus); the workspace then says no task is left.
     */
    Completed completeOneTask(FeedbackMode mode, String boardPrefix, Runnable keys) {
        String suffix = Long.toHexString(System.nanoTime());
        int k = mode == FeedbackMode.PAIRWISE ? 2 : 3;

        logIn(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
        page.navigate(url("/admin/projects"));
        page.locator("#project-name input").fill(mode + " " + suffix);
        page.locator("#project-mode").click();
        page.locator("vaadin-select-item").filter(new Locator.FilterOptions().setHasText(Pattern.compile("^" + capitalised(mode)))).click();
        if (mode == FeedbackMode.PAIRWISE) {
            // The form sets K to 2, the only K a pairwise project takes.
            assertThat(page.locator("#project-k input")).hasValue("2");
        } else {
            page.locator("#project-k input").fill(String.valueOf(k));
        }
        page.locator("#project-annotators input").fill("1");
        page.locator("#project-save").click();
        assertThat(page).hasURL(Pattern.compile(".*/admin/projects/[0-9a-f-]{36}$"));
        UUID project = UUID.fromString(page.url().substring(page.url().lastIndexOf('/') + 1));
        assertThat(jdbc.sql("SELECT feedback_mode FROM projects WHERE id = ?").param(project).query(String.class).single())
                .isEqualTo(mode.wireName());

        StringBuilder responses = new StringBuilder();
        for (int i = 0; i < k; i++) {
            responses.append(i == 0 ? "" : ", ").append("{\"text\": \"Answer ").append((char) ('A' + i)).append(" for ").append(suffix)
                    .append(".\", \"model\": \"m").append(i).append("\"}");
        }
        String line = "{\"prompt\": \"Explain tides (" + suffix + ").\", \"responses\": [" + responses + "]}\n";
        assertThat(imports.importItems(project, ImportFormat.RESPONSES, new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)))
                .imported()).isEqualTo(1);
        String annotator = mode.wireName() + "-ann-" + suffix;
        memberships.createAccount(annotator, "annotator-password", EnumSet.of(Annotator.Role.ANNOTATOR), List.of(project));

        page.locator("#logout").click();
        page.locator("input[name='username']").waitFor();
        logIn(annotator, "annotator-password");
        page.locator("#start-" + project).click();
        page.locator("#" + boardPrefix + "-board").waitFor();
        List<String> shown = new ArrayList<>();
        for (Locator card : page.locator("#" + boardPrefix + "-board .response-card").all()) {
            shown.add(card.getAttribute("id").substring("card-".length()));
        }
        assertThat(shown).hasSize(k);
        screenshot("workspace-" + mode.wireName());
        keys.run();
        assertThat(page.locator("#no-tasks")).isVisible();

        UUID ranking = jdbc.sql("SELECT r.id FROM rankings r JOIN annotators a ON a.id = r.annotator_id WHERE a.username = ?")
                .param(annotator).query(UUID.class).single();
        return new Completed(project, annotator, ranking, shown);
    }

    Map<String, Object> storedRanking(Completed done) {
        return jdbc.sql("SELECT feedback_mode, ranking, strength, ratings, labels FROM rankings WHERE id = ?").param(done.rankingId())
                .query().singleRow();
    }

    RankingSubmitted theEventOf(Completed done) {
        Map<String, RankingSubmitted> events = rankingsOnTopicBy(done.annotator(), 1);
        assertThat(events).hasSize(1);
        return events.values().iterator().next();
    }

    /** The project's export in {@code format}, one map per NDJSON line. */
    List<Map<String, Object>> export(Completed done, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        exports.export(ExportRequest.parse(done.projectId(), format, null, null, null, null, null), out);
        return out.toString(StandardCharsets.UTF_8).lines().filter(line -> !line.isBlank())
                .map(line -> JSON.readValue(line, new TypeReference<Map<String, Object>>() { })).toList();
    }

    /** The {@code kto} export as response id -> label, checking each line names the ranking and the mode. */
    Map<String, Boolean> ktoLabels(Completed done) {
        Map<String, Boolean> labels = new java.util.HashMap<>();
        for (Map<String, Object> line : export(done, "kto")) {
            assertThat(line).containsEntry("ranking_id", done.rankingId().toString()).containsEntry("annotator", done.annotator())
                    .containsKeys("prompt", "completion", "feedback_mode");
            labels.put((String) line.get("response_id"), (Boolean) line.get("label"));
        }
        return labels;
    }

    /** The response ids of the cards on the board, in the order shown. */
    private List<String> shownIds() {
        List<String> ids = new ArrayList<>();
        for (Locator card : page.locator(".feedback-board .response-card").all()) {
            ids.add(card.getAttribute("id").substring("card-".length()));
        }
        return ids;
    }

    static List<List<String>> groups(String json) {
        return JSON.readValue(json, new TypeReference<List<List<String>>>() { });
    }

    private static String capitalised(FeedbackMode mode) {
        return mode.wireName().substring(0, 1).toUpperCase() + mode.wireName().substring(1);
    }
}
