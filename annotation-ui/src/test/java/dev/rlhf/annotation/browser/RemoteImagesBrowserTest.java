package dev.rlhf.annotation.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import com.microsoft.playwright.Locator;
import com.sun.net.httpserver.HttpServer;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.project.ProjectService;

/**
 * Issue 13: an image in rendered data (guidelines, prompts, responses) that points at another host
 * is never fetched by the annotator's browser: the Content-Security-Policy allows images from the app
 * and {@code data:} only. The "other host" is a tiny HTTP server on another local port that counts
 * what it is asked for.
 */
class RemoteImagesBrowserTest extends BrowserTest {

    /** A 1x1 transparent PNG. */
    static final byte[] PIXEL = java.util.Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    @Autowired
    ProjectService projects;
    @Autowired
    ImportService imports;
    @Autowired
    AnnotatorService annotators;
    @Autowired
    ProjectMemberService members;

    HttpServer tracker;
    final List<String> fetched = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startTracker() throws Exception {
        tracker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tracker.createContext("/", exchange -> {
            fetched.add(exchange.getRequestURI().getPath());
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, PIXEL.length);
            exchange.getResponseBody().write(PIXEL);
            exchange.close();
        });
        tracker.start();
    }

    @AfterEach
    void stopTracker() {
        tracker.stop(0);
    }

    @Test
    void remoteImagesInGuidelinesPromptsAndResponsesAreNotFetched() {
        String other = "http://127.0.0.1:" + tracker.getAddress().getPort();
        String suffix = Long.toHexString(System.nanoTime());
        UUID project = projects.create(new ProjectService.ProjectSettings("pixels-" + suffix,
                "Rank by helpfulness.\n\n![x](" + other + "/guidelines-pixel.png)", 2, 1, null)).id();
        String line = """
                {"prompt": "Describe this (%s): ![p](%s/prompt-pixel.png)", "responses": [{"text": "A cat. ![r](%s/response-pixel.png)", "model": "a"}, {"text": "A dog.", "model": "b"}]}
                """.formatted(suffix, other, other);
        assertThat(imports.importItems(project, ImportFormat.RESPONSES, new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)))
                .imported()).isEqualTo(1);
        String username = "pixel-" + suffix;
        annotators.create(username, "annotator-password", EnumSet.of(Annotator.Role.ANNOTATOR));
        members.add(project, List.of(username));
        // Every page of this browser context records the CSP violations the browser reports.
        context.addInitScript("window.__refused = [];"
                + "document.addEventListener('securitypolicyviolation', e => window.__refused.push(e.violatedDirective + ' ' + e.blockedURI));");

        logIn(username, "annotator-password");
        page.locator("#start-" + project).click();
        page.locator("#ranking-board").waitFor();
        // The images are in the page, pointing at the other host...
        for (String name : List.of("guidelines-pixel", "prompt-pixel", "response-pixel")) {
            page.locator("img[src='" + other + "/" + name + ".png']").waitFor(new Locator.WaitForOptions()
                    .setState(com.microsoft.playwright.options.WaitForSelectorState.ATTACHED));
        }
        page.waitForFunction("window.__refused.length >= 3");
        page.waitForTimeout(500);
        // ...the browser refused them, and the other host was never asked.
        @SuppressWarnings("unchecked")
        List<String> refused = (List<String>) page.evaluate("window.__refused");
        assertThat(refused).hasSize(3).allSatisfy(m -> assertThat(m).startsWith("img-src").contains(other));
        assertThat(fetched).isEmpty();
        screenshot("workspace-remote-images-blocked");

        // Control: the browser can reach that host, so the empty list above means "not fetched", not "unreachable".
        // (Opening a page of that host may also make the browser ask it for /favicon.ico on its own.)
        page.navigate(other + "/direct.png");
        assertThat(fetched).filteredOn(path -> !path.equals("/favicon.ico")).containsExactly("/direct.png");
    }
}
