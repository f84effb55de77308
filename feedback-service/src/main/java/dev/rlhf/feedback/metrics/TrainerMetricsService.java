package dev.rlhf.feedback.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The trainer's metrics as they arrive: stored for the dashboard's history and pushed to whoever
 * listens (open dashboards), each point once.
 */
@Service
public class TrainerMetricsService {

    private static final Logger log = LoggerFactory.getLogger(TrainerMetricsService.class);
    /** How much history a dashboard opens with. */
    public static final int HISTORY_POINTS = 5000;
    /** How long the loop's status reports are kept: only the latest is shown, the rest is for looking back a little. */
    static final Duration LOOP_RETENTION = Duration.ofDays(1);
    private static final long PRUNE_EVERY_SECONDS = 600;

    private final TrainerMetricRepository repository;
    private final List<Consumer<MetricPoint>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong lastPrune = new AtomicLong(0);

    public TrainerMetricsService(TrainerMetricRepository repository) {
        this.repository = repository;
    }

    public void record(MetricPoint point) {
        if (!Double.isFinite(point.value())) {
            log.warn("Ignoring non-finite metric {} = {}", point.seriesKey(), point.value());
            return;
        }
        if (repository.insertIfAbsent(point)) {
            if (PolicyHealth.LOOP_RUN.equals(point.runId()) && PolicyHealth.LOOP_PHASE.equals(point.phase())) {
                pruneLoopReports(point.step());
            }
            for (Consumer<MetricPoint> listener : listeners) {
                try {
                    listener.accept(point);
                } catch (RuntimeException e) {
                    // One closed or failing dashboard must not stop the others or the consumer.
                    log.debug("Metric listener failed: {}", e.toString());
                }
            }
        }
    }

    public List<MetricPoint> history() {
        return repository.recent(HISTORY_POINTS);
    }

    /** What the trainer reported about each policy version (health, guardrails, reward-model accuracy of its round). */
    public PolicyHealth policyHealth() {
        return new PolicyHealth().acceptAll(repository.policyHealth());
    }

    /** The loop's latest status report, or null when the trainer has sent none. */
    public LoopStatus loopStatus() {
        return LoopStatus.of(repository.latest(PolicyHealth.LOOP_RUN, PolicyHealth.LOOP_PHASE));
    }

    /** The loop reports every 10 s (step = epoch seconds); reports older than a day are dropped, checked every 10 minutes. */
    private void pruneLoopReports(long step) {
        long last = lastPrune.get();
        if (step - last >= PRUNE_EVERY_SECONDS && lastPrune.compareAndSet(last, step)) {
            int removed = repository.deleteBefore(PolicyHealth.LOOP_RUN, PolicyHealth.LOOP_PHASE, step - LOOP_RETENTION.toSeconds());
            if (removed > 0) {
                log.debug("Removed {} loop status points older than {}", removed, Instant.ofEpochSecond(step - LOOP_RETENTION.toSeconds()));
            }
        }
    }

    /** Registers a listener for new points; run the returned handle to unregister (e.g. on detach). */
    public Runnable subscribe(Consumer<MetricPoint> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
