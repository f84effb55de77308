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

        // The loop's reports: round 1's reward model and the health of v0 (promoted), v1 (promoted), v2 (rejected: KL).
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", INFRASTRUCTURE.kafkaBootstrapServers()),
                new StringSerializer(), new AvroEventSerializer<TrainerMetric>())) {
            send(producer, "round-1", "reward", 12, "eval_accuracy", 0.72);
            send(producer, "round-2", "reward", 12, "eval_accuracy", 0.78);
            double[] kl = {0.0, 0.42, 3.1};
            for (int v = 0; v < 3; v++) {
                send(producer, "health", "health", v, "health/kl_to_sft", kl[v]);
                send(producer, "health", "health", v, "health/distinct2", 0.6 - 0.05 * v);
                send(producer, "health", "health", v, "health/promoted", v < 2 ? 1 : 0);
            }
            send(producer, "health", "health", 2, "guard/kl_to_sft", 1);
            send(producer, "loop", "loop", Instant.now().getEpochSecond(), "loop/round", 0);
        }
        page.locator("#round-kl_to_sft h3").waitFor();
        page.waitForCondition(() -> (Boolean) page.evaluate("() => { const c = document.querySelector('#round-kl_to_sft canvas');"
                + " const chart = window.Chart && window.Chart.getChart(c); return !!chart && chart.data.datasets[1].data.length === 1; }"));
        // What the user sees: v0 and v1 as promoted dots on a line, v2 as a red cross of its own, in the legend as "rejected".
        @SuppressWarnings("unchecked")
        var drawn = (java.util.List<Map<String, Object>>) page.evaluate("() => window.Chart.getChart("
                + "document.querySelector('#round-kl_to_sft canvas')).data.datasets.map(d => ({label: d.label, style: d.pointStyle,"
                + " xs: d.data.map(p => p.x).join(','), ys: d.data.map(p => p.y).join(',')}))");
        assertThat(drawn).hasSize(2);
        assertThat(drawn.get(0)).containsEntry("label", "promoted").containsEntry("xs", "0,1").containsEntry("ys", "0,0.42");
        assertThat(drawn.get(1)).containsEntry("label", "rejected").containsEntry("style", "crossRot").containsEntry("xs", "2")
                .containsEntry("ys", "3.1");
        assertThat(page.locator("#round-eval_accuracy h3")).hasText("Reward model held-out accuracy (eval_accuracy)");
        assertThat(page.locator("h3", new com.microsoft.playwright.Page.LocatorOptions().setHasText("loop/"))).hasCount(0);
        assertThat(page.locator("h3", new com.microsoft.playwright.Page.LocatorOptions().setHasText("health ·"))).hasCount(0);
        page.waitForTimeout(1000); // let Chart.js finish drawing before the screenshot
        screenshot("dashboard");
    }

    private static void send(KafkaProducer<String, TrainerMetric> producer, String phase, long step, String name, double value)
            throws Exception {
        send(producer, "e2e-run", phase, step, name, value);
    }

    private static void send(KafkaProducer<String, TrainerMetric> producer, String run, String phase, long step, String name, double value)
            throws Exception {
        producer.send(new ProducerRecord<>(Topics.TRAINER_METRICS, run, TrainerMetric.newBuilder().setRunId(run)
                .setPhase(phase).setStep(step).setName(name).setValue(value).setTimestamp(Instant.now()).build())).get();
    }
}
