package dev.rlhf.annotation.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.security.test.context.support.WithMockUser;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.vaadin.browserless.SpringBrowserlessTest;
import com.vaadin.flow.server.VaadinService;
import com.vaadin.flow.server.VaadinSession;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.annotation.status.StatusView;
import dev.rlhf.feedback.metrics.MetricPoint;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import dev.rlhf.feedback.testing.TestInfrastructure;

/** The dashboard's logic in the UI, without a browser: history, live updates, access. */
@SpringBootTest(classes = AnnotationApplication.class, properties = "logging.file.name=target/test-logs/ui.log")
class DashboardViewTest extends SpringBrowserlessTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @Autowired
    TrainerMetricsService metrics;

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ANNOTATOR")
    void showsOneChartPerPhaseAndMetricWithALinePerRunAndUpdatesLive() {
        String run = "run-" + UUID.randomUUID();
        metrics.record(point(run, "ppo", 1, "objective/kl", 0.0));
        metrics.record(point(run, "ppo", 2, "objective/kl", 0.02));
        metrics.record(point(run, "reward", 1, "accuracy", 0.55));

        DashboardView view = navigate(DashboardView.class);

        assertThat(view.charts().keySet()).as("reward model first, then PPO").containsSubsequence("reward · accuracy", "ppo · objective/kl");
        assertThat(view.charts().get("ppo · objective/kl").series().get(run))
                .containsExactly(new LineChart.Point(1, 0.0), new LineChart.Point(2, 0.02));

        // New points arrive on the Kafka consumer's thread; the view applies them through UI.access.
        Thread consumer = Thread.ofPlatform().start(() -> {
            metrics.record(point(run, "ppo", 3, "objective/kl", 0.035));
            metrics.record(point(run, "dpo", 1, "rewards/margins", 0.4));
        });
        joinQuietly(consumer);
        // The test thread holds the session lock, so run the queued access tasks as the lock release would.
        VaadinService.getCurrent().runPendingAccessTasks(VaadinSession.getCurrent());

        assertThat(view.charts().get("ppo · objective/kl").series().get(run)).hasSize(3).last()
                .isEqualTo(new LineChart.Point(3, 0.035));
        assertThat(view.charts()).containsKey("dpo · rewards/margins");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ANNOTATOR")
    void acrossRoundsEachVersionIsOnePointPromotedAndRejectedApartAndReportsGetNoStepCharts() {
        // Round 1's reward model reports eval_accuracy at its last step; v0..v2's health; v2 broke the KL guardrail.
        metrics.record(point("round-1", "reward", 5, "eval_accuracy", 0.6));
        metrics.record(point("round-1", "reward", 10, "eval_accuracy", 0.7));
        metrics.record(point("round-2", "reward", 10, "eval_accuracy", 0.74));
        metrics.record(point("health", "health", 0, "health/kl_to_sft", 0.0));
        metrics.record(point("health", "health", 0, "health/distinct2", 0.61));
        metrics.record(point("health", "health", 0, "health/promoted", 1));
        metrics.record(point("health", "health", 1, "health/kl_to_sft", 0.5));
        metrics.record(point("health", "health", 1, "health/score", 0.3));
        metrics.record(point("health", "health", 1, "health/promoted", 1));
        metrics.record(point("health", "health", 2, "health/kl_to_sft", 3.1));
        metrics.record(point("health", "health", 2, "health/score", 0.9));
        metrics.record(point("health", "health", 2, "health/promoted", 0));
        metrics.record(point("health", "health", 2, "guard/kl_to_sft", 1));
        metrics.record(point("loop", "loop", Instant.now().getEpochSecond(), "loop/round", 0));

        DashboardView view = navigate(DashboardView.class);

        assertThat(view.roundCharts().get("kl_to_sft").points()).containsExactly(new RoundChart.Point(0, 0.0, true),
                new RoundChart.Point(1, 0.5, true), new RoundChart.Point(2, 3.1, false));
        assertThat(view.roundCharts().get("eval_accuracy").points()).as("each round's last step")
                .containsExactly(new RoundChart.Point(1, 0.7, true), new RoundChart.Point(2, 0.74, false));
        assertThat(view.roundCharts().get("score").points()).extracting(RoundChart.Point::version).containsExactly(1, 2);
        assertThat(view.roundCharts().get("repeat_rate").isVisible()).as("nothing reported").isFalse();
        assertThat(view.charts().keySet()).as("health and loop reports are not runs").noneMatch(k -> k.startsWith("health") || k.startsWith("loop"));
        assertThat(view.charts()).containsKey("reward · eval_accuracy");
        String config = view.roundCharts().get("kl_to_sft").config().toString();
        assertThat(config).contains("\"label\":\"rejected\"").contains("\"pointStyle\":\"crossRot\"");

        // v3's health arrives live, its promotion last.
        Thread consumer = Thread.ofPlatform().start(() -> {
            metrics.record(point("health", "health", 3, "health/kl_to_sft", 0.7));
            metrics.record(point("loop", "loop", Instant.now().getEpochSecond() + 1, "loop/round", 3));
        });
        joinQuietly(consumer);
        VaadinService.getCurrent().runPendingAccessTasks(VaadinSession.getCurrent());
        assertThat(view.roundCharts().get("kl_to_sft").points()).last().isEqualTo(new RoundChart.Point(3, 0.7, null));

        joinQuietly(Thread.ofPlatform().start(() -> metrics.record(point("health", "health", 3, "health/promoted", 1))));
        VaadinService.getCurrent().runPendingAccessTasks(VaadinSession.getCurrent());
        assertThat(view.roundCharts().get("kl_to_sft").points()).last().isEqualTo(new RoundChart.Point(3, 0.7, true));
        assertThat(view.charts().keySet()).noneMatch(k -> k.startsWith("loop"));
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ANNOTATOR")
    void annotatorsCannotOpenTheAdminStatusScreen() {
        assertThatThrownBy(() -> navigate(StatusView.class)).hasMessageContaining("StatusView");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void adminsOpenTheStatusScreen() {
        assertThat(navigate(StatusView.class)).isInstanceOf(StatusView.class);
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static MetricPoint point(String run, String phase, long step, String name, double value) {
        return new MetricPoint(run, phase, step, name, value, Instant.now());
    }
}
