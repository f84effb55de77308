package dev.rlhf.feedback.metrics;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class TrainerMetricRepository {

    private final JdbcClient jdbc;

    public TrainerMetricRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Stores the point unless that (run, phase, name, step) is already there; true when stored. */
    public boolean insertIfAbsent(MetricPoint p) {
        return jdbc.sql("""
                        INSERT INTO trainer_metrics (run_id, phase, step, name, metric_value, recorded_at)
                        SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS
                          (SELECT 1 FROM trainer_metrics WHERE run_id = ? AND phase = ? AND name = ? AND step = ?)""")
                .params(p.runId(), p.phase(), p.step(), p.name(), p.value(), OffsetDateTime.ofInstant(p.recordedAt(), ZoneOffset.UTC),
                        p.runId(), p.phase(), p.name(), p.step())
                .update() == 1;
    }

    /** The most recent {@code limit} points, oldest first, for drawing the dashboard's charts. */
    public List<MetricPoint> recent(int limit) {
        List<MetricPoint> newestFirst = jdbc.sql("""
                        SELECT run_id, phase, step, name, metric_value, recorded_at FROM trainer_metrics
                        ORDER BY recorded_at DESC, step DESC LIMIT ?""")
                .param(limit)
                .query((rs, row) -> new MetricPoint(rs.getString("run_id"), rs.getString("phase"), rs.getLong("step"),
                        rs.getString("name"), rs.getDouble("metric_value"), rs.getObject("recorded_at", OffsetDateTime.class).toInstant()))
                .list();
        return newestFirst.reversed();
    }
}
