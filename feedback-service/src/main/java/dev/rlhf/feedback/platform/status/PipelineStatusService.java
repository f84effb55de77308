package dev.rlhf.feedback.platform.status;

import java.sql.Connection;
import java.util.Map;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.feedback.platform.kafka.KafkaHealthIndicator;

/** What the pipeline runs on and whether its parts answer: for the status screen and support. */
@Service
public class PipelineStatusService {

    private final DataSource dataSource;
    private final ObjectProvider<Flyway> flyway;
    private final KafkaHealthIndicator kafkaHealth;
    private final RlhfProperties properties;

    public PipelineStatusService(DataSource dataSource, ObjectProvider<Flyway> flyway,
                                 KafkaHealthIndicator kafkaHealth, RlhfProperties properties) {
        this.dataSource = dataSource;
        this.flyway = flyway;
        this.kafkaHealth = kafkaHealth;
        this.properties = properties;
    }

    public PipelineStatus status() {
        return new PipelineStatus(database(), kafka(), properties.dataDir().toString());
    }

    private PipelineStatus.Part database() {
        try (Connection c = dataSource.getConnection()) {
            var meta = c.getMetaData();
            Flyway f = flyway.getIfAvailable();
            String schema = f == null || f.info().current() == null ? "none" : f.info().current().getVersion().getVersion();
            return new PipelineStatus.Part(true, meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion(),
                    Map.of("url", meta.getURL(), "schemaVersion", schema));
        } catch (Exception e) {
            return new PipelineStatus.Part(false, e.getMessage(), Map.of());
        }
    }

    private PipelineStatus.Part kafka() {
        Health health = kafkaHealth.health(true);
        boolean up = "UP".equals(health.getStatus().getCode());
        String summary = (properties.kafka().embedded() ? "in-process broker" : "external cluster")
                + (up ? "" : " (" + health.getStatus().getCode() + ")");
        return new PipelineStatus.Part(up, summary, health.getDetails());
    }

    /** @param dataDir where the zero-install database, broker log and log files live */
    public record PipelineStatus(Part database, Part kafka, String dataDir) {
        public record Part(boolean up, String summary, Map<String, Object> details) {
        }
    }
}
