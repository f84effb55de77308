package dev.rlhf.trainer.cli;

import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.serve.RankingStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code trainer serve}: the Kafka-driven trainer service. Connects to the broker it is given,
 * consumes rankings in a consumer group and dead-letters what it cannot decode. Stops cleanly on
 * SIGINT/SIGTERM, committing what it has processed.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the Kafka-driven trainer service: consume rankings from the annotation app.")
public class ServeCommand implements java.util.concurrent.Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--group-id", defaultValue = "rlhf-trainer", description = "Consumer group (default ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--rankings-topic", defaultValue = Topics.RANKINGS, description = "Topic of RankingSubmitted events (default ${DEFAULT-VALUE}).")
    String rankingsTopic;

    @Option(names = "--connect-timeout", defaultValue = "15", description = "Seconds to wait for the broker at start (default ${DEFAULT-VALUE}).")
    int connectTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        requireBroker();
        AtomicLong rankings = new AtomicLong();
        AtomicLong comparisons = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(1);
        try (RankingStream stream = new RankingStream(bootstrapServers, groupId, rankingsTopic)) {
            Thread hook = new Thread(() -> {
                stream.wakeup();
                try {
                    stopped.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "trainer-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            log.info("Trainer service connected to Kafka at {}; consuming {} as group {}", bootstrapServers, rankingsTopic, groupId);
            stream.run(ranking -> {
                long n = rankings.incrementAndGet();
                long c = comparisons.addAndGet(RankingStream.comparisons(ranking));
                log.info("Ranking {} of prompt {} from {}: {} responses, {} comparisons ({} rankings, {} comparisons in total)",
                        ranking.getEventId(), ranking.getPromptId(), ranking.getAnnotatorId(), ranking.getResponses().size(),
                        RankingStream.comparisons(ranking), n, c);
            });
        } finally {
            stopped.countDown();
        }
        log.info("Trainer service stopped cleanly after {} rankings", rankings.get());
        return 0;
    }

    /** Fail fast, with one line, when the broker is not there, instead of retrying silently forever. */
    private void requireBroker() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, connectTimeoutSeconds * 1000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, connectTimeoutSeconds * 1000);
        try (AdminClient admin = AdminClient.create(p)) {
            admin.describeCluster().nodes().get(connectTimeoutSeconds, TimeUnit.SECONDS);
            if (!admin.listTopics().names().get(connectTimeoutSeconds, TimeUnit.SECONDS).contains(rankingsTopic)) {
                log.warn("Topic {} does not exist yet on {}; the annotation app creates it at start-up", rankingsTopic, bootstrapServers);
            }
        } catch (Exception e) {
            throw new BadInputException("cannot reach Kafka at " + bootstrapServers + " within " + connectTimeoutSeconds
                    + " s: start the annotation app (it runs the in-process broker) or pass --bootstrap-servers HOST:PORT");
        }
    }
}
