package dev.rlhf.feedback.metrics;

import java.util.List;
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

    private final TrainerMetricRepository repository;
    private final List<Consumer<MetricPoint>> listeners = new CopyOnWriteArrayList<>();

    public TrainerMetricsService(TrainerMetricRepository repository) {
        this.repository = repository;
    }

    public void record(MetricPoint point) {
        if (!Double.isFinite(point.value())) {
            log.warn("Ignoring non-finite metric {} = {}", point.seriesKey(), point.value());
            return;
        }
        if (repository.insertIfAbsent(point)) {
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

    /** Registers a listener for new points; run the returned handle to unregister (e.g. on detach). */
    public Runnable subscribe(Consumer<MetricPoint> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
