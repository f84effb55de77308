package dev.rlhf.annotation.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import com.microsoft.playwright.Download;
import com.microsoft.playwright.FileChooser;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.assertions.LocatorAssertions;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.feedback.task.SubmissionService;
import dev.rlhf.feedback.task.TaskService;

import dev.rlhf.feedback.testing.TestInfrastructure;

/** An admin creates a project in the console, uploads a file with a bad line and reads the error report naming it. */
class AdminImportBrowserTest extends BrowserTest {

    @Autowired
    AnnotatorService accounts;
    @Autowired
    TaskService tasks;
    @Autowired
    SubmissionService submissions;

    @Test
    void anAdminImportsAFileWithABadLineAndSeesWhichLineWasRejected() throws Exception {
        logIn(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
        page.locator("vaadin-side-nav-item[path='admin/projects']").click();
        assertThat(page).hasURL(url("/admin/projects"));

        String name = "Helpfulness " + UUID.randomUUID().toString().substring(0, 6);
        page.locator("#project-name input").fill(name);
        page.locator("#project-guidelines textarea").fill("Rank the most **helpful** answer first.");
        page.locator("#project-annotators input").fill("2");
        page.locator("#project-save").click();
        assertThat(page).hasURL(Pattern.compile(".*/admin/projects/[0-9a-f-]{36}$"));
        assertThat(page.locator("#project-title")).hasText(name);

        Path file = Files.createTempFile("import-", ".jsonl");
        Files.writeString(file, """
                {"prompt": "What is the capital of France?", "responses": [{"text": "Paris.", "model": "m1"}, {"text": "Lyon.", "model": "m2"}]}
                {"prompt": "Name a prime number.", "responses": [{"text": "7", "model": "m1"}, {"text": "9", "model": "m2"}]}
                {"prompt": "Broken line without responses", "responses": "none"}
                {"prompt": "Say hello in French.", "responses": [{"text": "Bonjour", "model": "m1"}, {"text": "Hola", "model": "m2"}]}
                """);
        FileChooser chooser = page.waitForFileChooser(() -> page.locator("#import-upload vaadin-button").first().click());
        chooser.setFiles(file);

        Locator summary = page.locator("#import-summary");
        assertThat(summary).hasText("Imported 3 · skipped 0 (already present) · rejected 1");
        Locator rejected = page.locator("#import-rejected");
        assertThat(rejected).containsText("3");
        assertThat(rejected).containsText("responses");
        assertThat(page.locator("#stats-counts")).containsText("3 prompts · 6 responses");

        // Two annotators' accounts exist; the admin makes them the project's members in its Members panel.
        UUID projectId = UUID.fromString(page.url().substring(page.url().lastIndexOf('/') + 1));
        String ann = "e2e-ann-" + UUID.randomUUID().toString().substring(0, 6);
        String bob = "e2e-bob-" + UUID.randomUUID().toString().substring(0, 6);
        accounts.create(ann, "a-long-password", Set.of(Annotator.Role.ANNOTATOR));
        accounts.create(bob, "a-long-password", Set.of(Annotator.Role.ANNOTATOR));
        page.reload();
        for (String member : List.of(ann, bob)) {
            page.locator("#member-candidates input").fill(member);
            page.locator("vaadin-multi-select-combo-box-item:not([hidden])").filter(new Locator.FilterOptions().setHasText(member)).click();
        }
        page.locator("#member-candidates input").press("Escape"); // closes the list of accounts
        page.locator("#members-add").click();
        assertThat(page.locator("#members")).containsText(ann);
        assertThat(page.locator("#members")).containsText(bob);

        // They rank every task while the console is open; its figures follow within a poll.
        rankAllTasks(projectId, ann, true, 5200);
        rankAllTasks(projectId, bob, false, 8100);
        assertThat(page.locator("#stats-progress-text")).hasText("100.0% of tasks complete", new LocatorAssertions.HasTextOptions().setTimeout(15_000));
        assertThat(page.locator("#stats-annotators")).containsText("e2e-bob-");
        // The agreement chart is drawn with one bar per annotator.
        page.waitForFunction("() => { const c = document.querySelector('.bar-chart > div').$chart; "
                + "return c && c.data.labels.length === 2 && c.data.datasets[0].data.every(v => v > 0); }");

        page.waitForTimeout(1000); // let Chart.js draw before the screenshot
        // The app layout scrolls its content itself: make the window as tall as the console for a full-page picture.
        int height = ((Number) page.evaluate("() => document.querySelector('#project-title').parentElement.scrollHeight")).intValue();
        page.setViewportSize(1280, height + 120);
        page.waitForTimeout(500);
        screenshot("admin-console");
        page.setViewportSize(1280, 900);

        // Exports stream through a DownloadHandler as a file download.
        Download download = page.waitForDownload(() -> page.locator("#export-rankings").click());
        org.assertj.core.api.Assertions.assertThat(download.suggestedFilename()).endsWith("-rankings.jsonl");
        org.assertj.core.api.Assertions.assertThat(download.failure()).isNull();
        org.assertj.core.api.Assertions.assertThat(Files.readAllLines(download.path())).as("one line per submitted ranking").hasSize(6)
                .allSatisfy(line -> org.assertj.core.api.Assertions.assertThat(line).contains("\"annotator"));
    }

    /** One annotator (a member) ranks each task of the project: the better-looking answer first, or (contrarian) the other way round. */
    private void rankAllTasks(UUID projectId, String username, boolean bestFirst, long durationMs) {
        for (var task = tasks.next(username, projectId); task.isPresent(); task = tasks.next(username, projectId)) {
            List<List<String>> ranking = new ArrayList<>();
            task.get().responses().stream().sorted(Comparator.comparing(r -> r.text()))
                    .forEach(r -> ranking.add(List.of(r.id().toString())));
            // The first prompt is where the two annotators agree; elsewhere the contrarian reverses the order.
            boolean agree = task.get().prompt().asText().contains("capital");
            if (!bestFirst && !agree) {
                java.util.Collections.reverse(ranking);
            }
            submissions.submit(username, task.get().taskId(), new RankingSubmission(ranking, Map.of(), false, null, durationMs));
        }
    }
}
