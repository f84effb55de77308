package dev.rlhf.annotation.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;

/**
 * End-to-end tests in a real browser: the whole app on a random port (real PostgreSQL, in-process
 * Kafka) driven through Debian's headless Chromium with Playwright. Screenshots go to
 * {@code annotation-ui/target/screenshots/} (the README's images are copied from there).
 */
@SpringBootTest(classes = AnnotationApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.file.name=target/test-logs/browser.log")
public abstract class BrowserTest {

    public static final Path CHROMIUM = Path.of(System.getProperty("rlhf.chromium", "/usr/bin/chromium"));
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");

    protected static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();

    private static Playwright playwright;
    private static Browser browser;

    protected BrowserContext context;
    protected Page page;

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @BeforeAll
    static void launchBrowser() {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException("Browser tests need Chromium at " + CHROMIUM
                    + ": apt-get install chromium (or -Drlhf.chromium=/path/to/chromium)");
        }
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        // The flags keep Chromium off the network this machine does not have.
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync")));
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
    }

    @BeforeEach
    void openPage() {
        context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 900));
        context.setDefaultTimeout(20_000);
        page = context.newPage();
    }

    @AfterEach
    void closePage() {
        context.close();
    }

    protected String url(String path) {
        return "http://localhost:" + port + path;
    }

    /** Logs in through the login form and waits for the app's layout. */
    protected void logIn(String username, String password) {
        page.navigate(url("/login"));
        page.locator("input[name='username']").fill(username);
        page.locator("input[name='password']").fill(password);
        page.locator("vaadin-login-form vaadin-button").first().click();
        page.locator("#current-user").waitFor();
    }

    protected void screenshot(String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + ".png")).setFullPage(true));
    }

    /**
     * The {@code RankingSubmitted} events of {@code username} on {@code rlhf.rankings.v1} by event id,
     * once {@code expected} arrived (or 30 s passed); fails on a duplicate delivery.
     */
    protected Map<String, RankingSubmitted> rankingsOnTopicBy(String username, int expected) {
        Map<String, RankingSubmitted> byEventId = new HashMap<>();
        List<String> seen = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", INFRASTRUCTURE.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new AvroEventDeserializer<>(RankingSubmitted.class))) {
            consumer.subscribe(List.of(Topics.RANKINGS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (byEventId.size() < expected && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().getAnnotatorId().equals(username)) {
                        seen.add(record.value().getEventId().toString());
                        byEventId.put(record.value().getEventId().toString(), record.value());
                    }
                }
            }
            // Read a little longer: a duplicate would show up as a repeated eventId.
            for (var record : consumer.poll(Duration.ofSeconds(1))) {
                if (record.value().getAnnotatorId().equals(username)) {
                    seen.add(record.value().getEventId().toString());
                }
            }
        }
        assertThat(seen).doesNotHaveDuplicates();
        return byEventId;
    }
}
