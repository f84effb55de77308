package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.annotate.AnnotationAppClient;
import dev.rlhf.trainer.testing.FeedbackApp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code ./bench.sh loop}: end-to-end latency from a ranking's submission through the REST API to its
 * arrival in the trainer's durable preference store (committed with its outbox row, relayed to
 * {@code rlhf.rankings.v1}, consumed, appended and fsynced), and the sustained throughput, with
 * {@code bench.clients} concurrent annotators (default 32; {@code bench.thinkMillis} pauses each between
 * its rankings, default 0: back to back, which saturates the 2 cores) on the real PostgreSQL and the app's
 * in-process broker. The trainer side is the real intake of {@code trainer serve} ({@link InboundEvents}
 * into {@link PreferenceStore}) in this JVM, without model work. Verified: every acknowledged ranking
 * is in the store exactly once. Results go to {@code trainer/target/benchmark-results.md}.
 */
@Tag("benchmark")
class LoopLatencyBenchmark {

    static final int CLIENTS = Integer.getInteger("bench.clients", 32);
    static final int RANKINGS = Integer.getInteger("bench.rankings", 4000);
    static final int WARMUP = Integer.getInteger("bench.warmup", 500);
    /** Pause of each client between its rankings, as an annotator reads (0: back to back, the saturated case). */
    static final int THINK_MILLIS = Integer.getInteger("bench.thinkMillis", 0);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path temp;

    @Test
    void submissionToTrainerStoreLatencyAndThroughput() throws Exception {
        FeedbackApp app = FeedbackApp.start("loop-benchmark-app");
        URI url = app.url();
        int total = WARMUP + RANKINGS;
        try {
            AnnotationAppClient admin = AnnotationAppClient.basic(url, TestInfrastructure.ADMIN, TestInfrastructure.ADMIN_PASSWORD);
            UUID project = admin.createProject(new AnnotationAppClient.ProjectSettings("loop bench", null, 4, 1, null)).id();
            admin.importFile(project, "responses", responsesFile(total));
            List<AnnotationAppClient> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                String name = "bench-" + i;
                admin.createAccount(name, "bench-password-" + i, "ANNOTATOR");
                AnnotationAppClient basic = AnnotationAppClient.basic(url, name, "bench-password-" + i);
                clients.add(basic.withToken(basic.createToken("bench")));
            }
            admin.addMembers(project, IntStream.range(0, CLIENTS).mapToObj(i -> "bench-" + i).toList());

            // The trainer's intake: consumed, appended to the store with fsync, then the offset committed.
            Map<Set<String>, Long> submittedAt = new ConcurrentHashMap<>();
            Map<Set<String>, Long> storedAt = new ConcurrentHashMap<>();
            PreferenceStore store = new PreferenceStore(temp.resolve("trainer"));
            List<Set<String>> pending = new ArrayList<>();
            InboundEvents intake = new InboundEvents(app.kafkaBootstrapServers(), "loop-bench-" + UUID.randomUUID())
                    .on(Topics.RANKINGS, RankingSubmitted.class, r -> {
                        if (store.append(r)) {
                            pending.add(responseIds(r));
                        }
                    })
                    .beforeCommit(() -> { // as trainer serve does: one fsync per poll, then the arrival is durable
                        store.sync();
                        long now = System.nanoTime();
                        pending.forEach(key -> storedAt.put(key, now));
                        pending.clear();
                    });
            Thread consumer = Thread.ofPlatform().name("trainer-intake").start(intake::run);
            try {
                AtomicInteger remaining = new AtomicInteger(total);
                AtomicInteger acknowledged = new AtomicInteger();
                CountDownLatch done = new CountDownLatch(CLIENTS);
                long start = System.nanoTime();
                for (int c = 0; c < clients.size(); c++) {
                    AnnotationAppClient client = clients.get(c);
                    long stagger = THINK_MILLIS * c / CLIENTS; // clients spread over one pause, not in lockstep
                    Thread.ofPlatform().start(() -> {
                        try {
                            Thread.sleep(stagger);
                            while (remaining.getAndDecrement() > 0) {
                                if (THINK_MILLIS > 0) {
                                    Thread.sleep(THINK_MILLIS);
                                }
                                var task = client.nextTask(project).orElseThrow();
                                List<List<String>> order = task.responses().stream().map(r -> List.of(r.id().toString())).toList();
                                Set<String> key = new TreeSet<>(order.stream().map(List::getFirst).toList());
                                submittedAt.put(key, System.nanoTime());
                                client.submitRanking(task.taskId(), new AnnotationAppClient.RankingSubmission(order, Map.of(), false, null, 1000L));
                                acknowledged.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            done.countDown();
                        }
                    });
                }
                done.await();
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (storedAt.size() < acknowledged.get() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                long end = storedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
                assertThat(acknowledged.get()).isEqualTo(total);
                assertThat(store.size()).as("every acknowledged ranking stored, once").isEqualTo(total);

                // Latency of the rankings after the warm-up (JIT, connection pools), in submission order.
                List<Map.Entry<Set<String>, Long>> bySubmission = new ArrayList<>(submittedAt.entrySet());
                bySubmission.sort(Map.Entry.comparingByValue());
                double[] millis = bySubmission.subList(WARMUP, total).stream()
                        .mapToDouble(e -> (storedAt.get(e.getKey()) - e.getValue()) / 1e6).sorted().toArray();
                long measuredStart = bySubmission.get(WARMUP).getValue();
                double seconds = (end - measuredStart) / 1e9;
                String result = String.format(java.util.Locale.ROOT,
                        "| %d clients, pause %d ms | %d rankings (after %d warm-up) | %.0f rankings/s | p50 %.1f ms | p90 %.1f ms | p99 %.1f ms | max %.1f ms |",
                        CLIENTS, THINK_MILLIS, RANKINGS, WARMUP, RANKINGS / seconds, percentile(millis, 50), percentile(millis, 90),
                        percentile(millis, 99), millis[millis.length - 1]);
                String report = "Loop intake benchmark, " + Instant.now() + " (whole run " + String.format("%.1f", (end - start) / 1e9)
                        + " s)\n\n| clients | rankings | throughput | submit -> trainer store p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n"
                        + result + "\n";
                System.out.println(report);
                Files.createDirectories(Path.of("target"));
                Files.writeString(Path.of("target", "benchmark-results.md"), report);
            } finally {
                intake.wakeup();
                consumer.join(20_000);
                intake.close();
                store.close();
            }
        } finally {
            app.close();
        }
    }

    static Set<String> responseIds(RankingSubmitted r) {
        return new TreeSet<>(r.getResponses().stream().map(RankedResponse::getId).toList());
    }

    static double percentile(double[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private Path responsesFile(int prompts) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int p = 0; p < prompts; p++) {
            List<Map<String, String>> responses = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                responses.add(Map.of("text", "Response " + r + " to prompt " + p + ". " + "The story goes on. ".repeat(8), "model", "bench"));
            }
            lines.append(JSON.writeValueAsString(Map.of("prompt", "Benchmark story " + p + ": once upon a time", "responses", responses)))
                    .append('\n');
        }
        Path file = temp.resolve("responses.jsonl");
        Files.writeString(file, lines);
        return file;
    }
}
