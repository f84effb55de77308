package dev.rlhf.annotation.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import dev.rlhf.schemas.kafka.Topics;

class LoginAndDashboardBrowserTest extends BrowserTest {

    @Test
    void wrongPasswordIsRefusedAndTheRightOneOpensTheApp() {
        page.navigate(url("/status"));
        assertThat(page).hasURL(url("/login"));
        page.locator("input[name='username']").fill("admin");
        page.locator("input[name='password']").fill("wrong");
        page.locator("vaadin-login-form vaadin-button").first().click();
        assertThat(page.locator("vaadin-login-form-wrapper")).hasAttribute("error", "");
        screenshot("login");

        logIn(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
        assertThat(page.locator("#current-user")).hasText("admin");
        page.locator("#logout").click();
        assertThat(page).hasURL(url("/login"));
    }

    @Test
    void dashboardChartsAppearLiveAsTheTrainerPublishesMetrics() throws Exception {
        logIn(TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
        page.navigate(url("/dashboard"));
        int chartsBefore = page.locator("canvas").count();

        // The trainer's side: TrainerMetric events on the real topic, published while the page is open.
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", INFRASTRUCTURE.kafkaBootstrapServers()),
                new StringSerializer(), new AvroEventSerializer<TrainerMetric>())) {
            for (int step = 1; step <= 40; step++) {
                double t = step / 40.0;
                send(producer, "reward", step, "accuracy", 0.5 + 0.4 * t);
                send(producer, "ppo", step, "objective/kl", 0.04 * t * t);
                send(producer, "dpo", step, "rewards/margins", 1.5 * t);
            }
        }

        page.locator("h3", new com.microsoft.playwright.Page.LocatorOptions().setHasText("dpo · rewards/margins")).waitFor();
        assertThat(page.locator("canvas").count()).isGreaterThanOrEqualTo(chartsBefore + 3);
        page.waitForTimeout(1000); // let Chart.js finish drawing before the screenshot
        screenshot("dashboard");
    }

    private static void send(KafkaProducer<String, TrainerMetric> producer, String phase, long step, String name, double value)
            throws Exception {
        producer.send(new ProducerRecord<>(Topics.TRAINER_METRICS, "e2e-run", TrainerMetric.newBuilder().setRunId("e2e-run")
                .setPhase(phase).setStep(step).setName(name).setValue(value).setTimestamp(Instant.now()).build())).get();
    }
}
