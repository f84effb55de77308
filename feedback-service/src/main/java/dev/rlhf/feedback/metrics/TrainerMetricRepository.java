package dev.rlhf.feedback.metrics;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /**
     * The most recent {@code limit} points, oldest first, for drawing the dashboard's charts; the
     * loop's status reports (phase {@code loop}, every 10 s) are left out, or they would crowd out
     * the training runs.
     */
    public List<MetricPoint> recent(int limit) {
        List<MetricPoint> newestFirst = jdbc.sql("""
                        SELECT run_id, phase, step, name, metric_value, recorded_at FROM trainer_metrics
                        WHERE phase <> ? ORDER BY recorded_at DESC, step DESC LIMIT ?""")
                .params(PolicyHealth.LOOP_PHASE, limit)
                .query(TrainerMetricRepository::point)
                .list();
        return newestFirst.reversed();
    }

    /** Every point of the version health reports and of the rounds' reward-model {@code eval_accuracy}. */
    public List<MetricPoint> policyHealth() {
        return jdbc.sql("""
                        SELECT run_id, phase, step, name, metric_value, recorded_at FROM trainer_metrics
                        WHERE run_id = ? AND phase = ?
                        UNION ALL
                        SELECT run_id, phase, step, name, metric_value, recorded_at FROM trainer_metrics
                        WHERE name = ? AND phase = 'reward' AND run_id LIKE 'round-%'
                        ORDER BY step, recorded_at""")
                .params(PolicyHealth.HEALTH_RUN, PolicyHealth.HEALTH_PHASE, PolicyHealth.EVAL_ACCURACY)
                .query(TrainerMetricRepository::point)
                .list();
    }

    /** The point of the highest step of each name of a run and phase. */
    public Map<String, MetricPoint> latest(String runId, String phase) {
        Map<String, MetricPoint> latest = new LinkedHashMap<>();
        jdbc.sql("""
                        SELECT m.run_id, m.phase, m.step, m.name, m.metric_value, m.recorded_at FROM trainer_metrics m
                        WHERE m.run_id = ? AND m.phase = ? AND m.step = (SELECT max(l.step) FROM trainer_metrics l
                          WHERE l.run_id = m.run_id AND l.phase = m.phase AND l.name = m.name)
                        ORDER BY m.name""")
                .params(runId, phase)
                .query(TrainerMetricRepository::point)
                .list()
                .forEach(p -> latest.put(p.name(), p));
        return latest;
    }

    /** Removes the points of a run and phase below {@code step}; the number removed. */
    public int deleteBefore(String runId, String phase, long step) {
        return jdbc.sql("DELETE FROM trainer_metrics WHERE run_id = ? AND phase = ? AND step < ?").params(runId, phase, step).update();
    }

    private static MetricPoint point(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        return new MetricPoint(rs.getString("run_id"), rs.getString("phase"), rs.getLong("step"), rs.getString("name"),
                rs.getDouble("metric_value"), rs.getObject("recorded_at", OffsetDateTime.class).toInstant());
    }
}
