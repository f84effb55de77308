package dev.rlhf.feedback.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorRepository;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.project.ProjectMemberRepository;
import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.JsonNode;

/** 50 annotators, each with their own account and HTTP client, drain a project at the same time. */
class ConcurrentAnnotatorsTest extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(ConcurrentAnnotatorsTest.class);
    private static final int ANNOTATORS = 50;
    private static final int TASKS = 60;
    private static final int NEEDED = 3;
    private static final int K = 3;

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    AnnotatorRepository annotatorRepository;
    @Autowired
    ProjectMemberRepository members;
    @Autowired
    ApiTokenService apiTokens;
    @Autowired
    PasswordEncoder passwords;

    /** What one annotator did: the tasks they were given and the event ids of their accepted rankings. */
    record Work(String annotator, List<UUID> tasks, List<UUID> eventIds, List<Long> nextNanos, List<Long> submitNanos) {
    }

    @Test
    void fiftyAnnotatorsDrainAProjectWithNoDoubleLeaseAndNoLostRanking() throws Exception {
        var fixtures = new TaskFixtures(admin(), prompts, taskRepository);
        UUID project = fixtures.project("crowd", K, NEEDED, 600);
        Set<UUID> taskIds = IntStream.range(0, TASKS).mapToObj(i -> fixtures.task(project, "crowd prompt " + i, K, NEEDED).taskId())
                .collect(Collectors.toSet());
        // Accounts with API tokens, made in-process: 50 bcrypt hashes would dominate the run on a small machine.
        String passwordHash = passwords.encode(TaskFixtures.PASSWORD);
        Map<String, String> tokens = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ANNOTATORS; i++) {
            var account = new Annotator(UUID.randomUUID(), "crowd-" + i, passwordHash, Set.of(Annotator.Role.ANNOTATOR), java.time.Instant.now());
            annotatorRepository.insert(account);
            members.add(project, account.id(), java.time.Instant.now());
            tokens.put(account.username(), apiTokens.create(account.id(), "crowd simulation"));
        }

        Map<UUID, List<String>> leasesGranted = new ConcurrentHashMap<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        long started;
        List<Work> work = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(ANNOTATORS)) {
            List<Future<Work>> running = new ArrayList<>();
            for (var account : tokens.entrySet()) {
                String name = account.getKey();
                var client = new BearerApi("http://localhost:" + port, account.getValue(), json);
                running.add(pool.submit(() -> {
                    start.await();
                    return annotate(client, name, project, leasesGranted, failures);
                }));
            }
            started = System.nanoTime();
            start.countDown();
            for (Future<Work> f : running) {
                work.add(f.get());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int submitted = work.stream().mapToInt(w -> w.eventIds().size()).sum();
        log.info("{} annotators submitted {} rankings over {} tasks in {} s ({} rankings/s, next + submit per ranking)", ANNOTATORS, submitted,
                TASKS, String.format("%.2f", seconds), String.format("%.0f", submitted / seconds));
        log.info("latency ms: next p50 {} p99 {}; submit p50 {} p99 {}", percentile(work, Work::nextNanos, 50), percentile(work, Work::nextNanos, 99),
                percentile(work, Work::submitNanos, 50), percentile(work, Work::submitNanos, 99));

        assertThat(failures).isEmpty();
        assertThat(submitted).isEqualTo(TASKS * NEEDED);
        assertThat(work).allSatisfy(w -> assertThat(w.tasks()).as(w.annotator() + " never gets a task twice").doesNotHaveDuplicates());
        assertThat(leasesGranted.keySet()).isEqualTo(taskIds);
        assertThat(leasesGranted).allSatisfy((task, holders) ->
                assertThat(holders).as("leases of " + task).hasSize(NEEDED).doesNotHaveDuplicates());

        assertThat(jdbc.sql("SELECT rankings_count FROM tasks WHERE project_id = ?").param(project).query(Integer.class).list())
                .hasSize(TASKS).containsOnly(NEEDED);
        assertThat(jdbc.sql("SELECT count(*) FROM rankings WHERE project_id = ?").param(project).query(Integer.class).single())
                .isEqualTo(TASKS * NEEDED);
        assertThat(jdbc.sql("""
                        SELECT count(*) FROM (SELECT task_id FROM rankings WHERE project_id = ?
                        GROUP BY task_id HAVING count(DISTINCT annotator_id) = ?) complete""")
                .params(project, NEEDED).query(Integer.class).single()).as("tasks ranked by exactly 3 distinct annotators").isEqualTo(TASKS);
        assertThat(jdbc.sql("SELECT DISTINCT a.status FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.project_id = ?")
                .param(project).query(String.class).list()).containsExactly("SUBMITTED");

        Set<UUID> acknowledged = work.stream().flatMap(w -> w.eventIds().stream()).collect(Collectors.toSet());
        try (var reader = KafkaTopicReader.avro(kafkaBootstrapServers(), Topics.RANKINGS, new AvroEventDeserializer<>(RankingSubmitted.class))) {
            reader.readUntil(records -> records.stream().map(r -> r.value().getEventId()).collect(Collectors.toSet()).containsAll(acknowledged),
                    Duration.ofSeconds(60));
            Map<UUID, Long> copies = reader.readToEnd(Duration.ofSeconds(60)).stream()
                    .filter(r -> r.value().getProjectId().equals(project.toString()))
                    .collect(Collectors.groupingBy(r -> r.value().getEventId(), Collectors.counting()));
            assertThat(copies.keySet()).isEqualTo(acknowledged);
            assertThat(copies.values()).containsOnly(1L);
        }
    }

    private static long percentile(List<Work> work, java.util.function.Function<Work, List<Long>> nanos, int p) {
        List<Long> all = work.stream().flatMap(w -> nanos.apply(w).stream()).sorted().toList();
        return all.get(Math.min(all.size() - 1, (int) Math.ceil(p / 100.0 * all.size()) - 1)) / 1_000_000;
    }

    private static Work annotate(BearerApi api, String name, UUID project, Map<UUID, List<String>> leasesGranted, List<String> failures) {
        List<UUID> tasks = new ArrayList<>();
        List<UUID> eventIds = new ArrayList<>();
        List<Long> nextNanos = new ArrayList<>();
        List<Long> submitNanos = new ArrayList<>();
        var done = new Work(name, tasks, eventIds, nextNanos, submitNanos);
        while (true) {
            long asked = System.nanoTime();
            var next = api.get("/api/v1/tasks/next?projectId=" + project);
            nextNanos.add(System.nanoTime() - asked);
            if (next.status() == 204) {
                return done;
            }
            if (next.status() != 200) {
                failures.add(name + " next: " + next.status() + " " + next.body());
                return done;
            }
            JsonNode task = next.json();
            UUID taskId = UUID.fromString(task.path("taskId").asString());
            tasks.add(taskId);
            leasesGranted.computeIfAbsent(taskId, id -> Collections.synchronizedList(new ArrayList<>())).add(name);
            List<UUID> order = TaskApiTest.responseIds(task);
            Collections.shuffle(order, ThreadLocalRandom.current());
            // A random ranking with one tie, so every submission differs.
            var ranking = List.of(List.of(order.get(0)), order.subList(1, order.size()));
            long submitting = System.nanoTime();
            var reply = api.postJson("/api/v1/tasks/" + taskId + "/ranking", TaskApiTest.submission(ranking, Map.of(), null, 1000L));
            submitNanos.add(System.nanoTime() - submitting);
            if (reply.status() != 201) {
                failures.add(name + " submit " + taskId + ": " + reply.status() + " " + reply.body());
                return done;
            }
            eventIds.add(UUID.fromString(reply.json().path("eventId").asString()));
        }
    }

}
