package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rlhf.feedback.testing.FreePorts;
import dev.rlhf.schemas.kafka.Topics;

/**
 * The packaged jar started as a user starts it, with no configuration: the zero-install default
 * comes up, other Kafka clients reach its broker, it stops cleanly on SIGTERM (what Ctrl-C in the
 * start script forwards), restarts on its own data, and bad configuration fails fast with one line.
 */
class ZeroInstallJarIT {

    private static final Duration START_LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path workDir;

    private PackagedApp packaged;
    private int httpPort;
    private int kafkaPort;

    @BeforeEach
    void ports() {
        packaged = new PackagedApp(workDir);
        httpPort = packaged.httpPort;
        kafkaPort = packaged.kafkaPort;
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        packaged.close();
    }

    @Test
    void startsWithNoConfigurationServesHealthAndTopicsAndStopsCleanly() throws Exception {
        Process app = start(List.of());
        awaitHealthUp(app);
        assertThat(topicsOnBroker()).contains(Topics.RANKINGS, Topics.SAMPLE_REQUESTS, Topics.SAMPLES, Topics.TRAINER_METRICS);
        assertThat(Files.exists(workDir.resolve("data/db/rlhf.mv.db"))).as("embedded database under ./data").isTrue();
        assertThat(output("out")).contains("Created admin account 'admin' with generated password");

        // An event nobody consumed yet must survive a restart of the app and its broker.
        produce(Topics.SAMPLES, "still-here");
        stopWithSigterm(app);
        assertThat(output("out")).contains("In-process Kafka broker on localhost:" + kafkaPort + " stopped cleanly");

        Process again = start(List.of());
        awaitHealthUp(again);
        assertThat(consumeKeys(Topics.SAMPLES)).contains("still-here");
        assertThat(output("out")).as("the admin password is generated and shown only on first start")
                .containsOnlyOnce("Created admin account");
        stopWithSigterm(again);
    }

    @Test
    void aWeakAdminPasswordFailsFastWithOneLine() throws Exception {
        Process app = start(List.of("RLHF_ADMIN_PASSWORD=admin-password"));
        assertThat(app.waitFor(START_LIMIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(app.exitValue()).isNotZero();
        assertOneErrorLine().contains("RLHF_ADMIN_PASSWORD is not accepted: password must not contain the username");
    }

    @Test
    void httpPortInUseFailsFastWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(httpPort)) {
            Process app = start(List.of());
            assertThat(app.waitFor(START_LIMIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(app.exitValue()).isNotZero();
            assertOneErrorLine().contains("Port " + httpPort).contains("already in use");
        }
    }

    @Test
    void kafkaPortInUseFailsFastWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(kafkaPort)) {
            Process app = start(List.of());
            assertThat(app.waitFor(START_LIMIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(app.exitValue()).isNotZero();
            assertOneErrorLine().contains("Kafka port " + kafkaPort + " is already in use").contains("KAFKA_BOOTSTRAP_SERVERS");
        }
    }

    @Test
    void unreachablePostgresFailsFastWithOneLine() throws Exception {
        int closedPort = FreePorts.next();
        Process app = start(List.of("SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:" + closedPort + "/test",
                "SPRING_DATASOURCE_USERNAME=postgres"));
        assertThat(app.waitFor(START_LIMIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(app.exitValue()).isNotZero();
        assertOneErrorLine().contains("Cannot connect to the database at jdbc:postgresql://127.0.0.1:" + closedPort)
                .contains("SPRING_DATASOURCE_URL");
    }

    private Process start(List<String> extraEnv) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : extraEnv) {
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return packaged.start(env);
    }

    private void awaitHealthUp(Process app) throws Exception {
        // Anonymous callers see the status only: no components, disk paths or Kafka cluster id.
        packaged.awaitHealth(app, "/actuator/health",
                body -> body.endsWith("\"status\":\"UP\"}") && !body.contains("components"), START_LIMIT);
    }

    private void stopWithSigterm(Process app) throws InterruptedException {
        // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited as asked.
        assertThat(packaged.stopWithSigterm(app)).isIn(0, 143);
    }

    private org.assertj.core.api.AbstractStringAssert<?> assertOneErrorLine() {
        // Logback's own status lines ("12:00:00,000 |-WARN in ...") are not the app's output.
        List<String> lines = output("err").lines().filter(l -> !l.isBlank() && !l.matches("^\\d\\d:\\d\\d:\\d\\d,\\d{3} \\|-.*"))
                .toList();
        List<String> errors = lines.stream().filter(l -> l.startsWith("ERROR: ")).toList();
        assertThat(errors).as("stderr:\n%s\nstdout:\n%s", output("err"), output("out")).hasSize(1);
        assertThat(lines.getLast()).as("the explanation is the last thing printed").isEqualTo(errors.getFirst());
        return assertThat(errors.getFirst());
    }

    private List<String> topicsOnBroker() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort);
        try (AdminClient admin = AdminClient.create(p)) {
            return List.copyOf(admin.listTopics().names().get(10, TimeUnit.SECONDS));
        }
    }

    private void produce(String topic, String key) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort);
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, "payload")).get(10, TimeUnit.SECONDS);
        }
    }

    private List<String> consumeKeys(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-check");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> keys = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (keys.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> keys.add(r.key()));
            }
        }
        return keys;
    }

    private String output(String name) {
        return packaged.output(name);
    }
}
