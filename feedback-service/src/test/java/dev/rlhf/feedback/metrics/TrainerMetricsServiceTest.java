package dev.rlhf.feedback.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import dev.rlhf.feedback.testing.IntegrationTest;

/** The loop's status reports: the latest is read per name, they stay out of the dashboard history, and old ones are dropped. */
class TrainerMetricsServiceTest extends IntegrationTest {

    @Autowired
    TrainerMetricRepository repository;

    @Test
    void loopReportsAreReadLatestFirstKeptOutOfTheHistoryAndPrunedAfterADay() {
        // A service of its own, so that no other test's report decides when it last pruned.
        TrainerMetricsService metrics = new TrainerMetricsService(repository);
        // The loop's reports are trainer-wide: start from none, so another test's reports cannot stand in.
        repository.deleteBefore("loop", "loop", Long.MAX_VALUE);
        long now = Instant.now().getEpochSecond();
        long twoDaysAgo = now - Duration.ofDays(2).toSeconds();
        metrics.record(new MetricPoint("loop", "loop", twoDaysAgo, "loop/requests_pending", 7, Instant.now()));
        metrics.record(new MetricPoint("loop", "loop", now - 10, "loop/round", 2, Instant.now()));
        metrics.record(new MetricPoint("loop", "loop", now, "loop/round", 0, Instant.now()));
        metrics.record(new MetricPoint("loop", "loop", now, "loop/requests_pending", 3, Instant.now()));

        LoopStatus status = metrics.loopStatus();
        assertThat(status.round()).isZero();
        assertThat(status.requestsPending()).isEqualTo(3);
        assertThat(status.reportedAt()).isEqualTo(Instant.ofEpochSecond(now));
        assertThat(metrics.history()).noneMatch(p -> p.phase().equals("loop"));
        assertThat(repository.latest("loop", "loop")).containsKeys("loop/round", "loop/requests_pending");
        assertThat(repository.deleteBefore("loop", "loop", now - Duration.ofDays(1).toSeconds()))
                .as("the two-day-old report was already pruned").isZero();
    }
}
