package dev.rlhf.feedback.platform.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import dev.rlhf.schemas.kafka.Topics;

/**
 * Settings of the pipeline's own (prefix {@code rlhf}). Each has a zero-install default; the
 * environment variables in the README set the common ones.
 *
 * @param dataDir where the embedded database, the in-process broker's log and log files live
 *                ({@code RLHF_DATA_DIR}, default {@code ./data})
 * @param kafka   the in-process broker, used when no external Kafka is configured
 * @param topics  topic names and layout
 */
@ConfigurationProperties("rlhf")
public record RlhfProperties(
        @DefaultValue("./data") Path dataDir,
        @DefaultValue Kafka kafka,
        @DefaultValue TopicSettings topics) {

    /**
     * @param embedded       run the in-process broker; on by default when {@code KAFKA_BOOTSTRAP_SERVERS} is unset
     * @param port           its client port ({@code RLHF_KAFKA_PORT}, default 9092)
     * @param controllerPort its KRaft controller port (default 9093)
     */
    public record Kafka(@DefaultValue("false") boolean embedded,
                        @DefaultValue("9092") int port,
                        @DefaultValue("9093") int controllerPort) {
    }

    /**
     * @param partitions        partitions of each topic this app creates (default 3)
     * @param replicationFactor replicas of each topic (default 1; use 3 on a production cluster)
     */
    public record TopicSettings(
            @DefaultValue(Topics.RANKINGS) String rankings,
            @DefaultValue(Topics.SAMPLE_REQUESTS) String sampleRequests,
            @DefaultValue(Topics.SAMPLES) String samples,
            @DefaultValue(Topics.TRAINER_METRICS) String trainerMetrics,
            @DefaultValue("3") int partitions,
            @DefaultValue("1") short replicationFactor) {

        public java.util.List<String> all() {
            return java.util.List.of(rankings, sampleRequests, samples, trainerMetrics);
        }
    }
}
