package dev.rlhf.feedback.platform.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * The zero-install default: with no Kafka and no database configured, use the in-process broker
 * on {@code localhost:9092} and an embedded H2 file database under the data directory. Anything
 * configured explicitly ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code SPRING_DATASOURCE_URL}, or the
 * Spring properties) wins: these defaults sit below every other property source. One more default
 * here concerns speed, not installation: no observations of Spring Security's filters.
 */
public class ZeroInstallDefaults implements EnvironmentPostProcessor, Ordered {

    static final String SOURCE_NAME = "rlhfZeroInstallDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        Path dataDir = Path.of(env.getProperty("rlhf.data-dir", "./data"))
                .toAbsolutePath().normalize();
        // Absolute, because H2 rejects implicitly relative paths (RLHF_DATA_DIR=data) in its URL.
        env.getPropertySources().addFirst(new MapPropertySource(SOURCE_NAME + "DataDir", Map.of("rlhf.data-dir", dataDir.toString())));

        String externalKafka = firstText(env.getProperty("spring.kafka.bootstrap-servers"), env.getProperty("KAFKA_BOOTSTRAP_SERVERS"));
        if (externalKafka != null) {
            defaults.put("spring.kafka.bootstrap-servers", externalKafka);
        } else {
            defaults.put("rlhf.kafka.embedded", "true");
            defaults.put("rlhf.kafka.port", "9092");
            // A placeholder, so a port set later (by a test, say) reaches the clients as well as the broker.
            defaults.put("spring.kafka.bootstrap-servers", "localhost:${rlhf.kafka.port}");
        }

        if (!StringUtils.hasText(env.getProperty("spring.datasource.url"))) {
            // PostgreSQL mode so the same migrations and SQL run on both databases. WRITE_DELAY=0: H2's
            // default (500 ms) acknowledges a commit before writing it; a process killed within that delay
            // lost acknowledged rankings whose events the relay had already published (issue 13). With 0,
            // each commit is written to the file (not fsynced: see DurableCommits) before it returns.
            defaults.put("spring.datasource.url", "jdbc:h2:file:${rlhf.data-dir}/db/rlhf;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0");
            defaults.put("spring.datasource.username", "sa");
            defaults.put("spring.datasource.password", "");
        }
        // Spring Security wraps each of its dozen filters in a Micrometer observation: measured with JFR
        // under 32 concurrent API clients that was ~8% of the service's CPU samples, for spans nobody reads.
        // The per-request http.server.requests observation stays. Set it to true to trace the filters.
        defaults.put("management.observations.enable.spring.security", "false");
        // After a 413 for an oversized body (rlhf.api.max-body-bytes), Tomcat reads and drops at most this
        // much of the rest before closing; closing on unread bytes resets the connection, and the client
        // then loses the 413 itself. Tomcat's 2 MB left a 20 MB chunked upload with no answer.
        defaults.put("server.tomcat.max-swallow-size", "64MB");
        env.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, defaults));
    }

    private static String firstText(String... values) {
        for (String v : values) {
            if (StringUtils.hasText(v)) {
                return v;
            }
        }
        return null;
    }

    @Override
    public int getOrder() {
        // After application.yaml and the environment are loaded, so explicit settings are visible.
        return ConfigDataEnvironmentPostProcessor.ORDER + 10;
    }
}
