package dev.rlhf.feedback.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import com.zaxxer.hikari.HikariDataSource;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorRepository;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.StandaloneAnnotators;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.outbox.OutboxWriter;
import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.platform.database.DatabaseKind;
import dev.rlhf.feedback.platform.database.DurableCommits;
import dev.rlhf.feedback.project.ProjectMemberRepository;
import dev.rlhf.feedback.project.ProjectRepository;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.json.JsonMapper;

/**
 * The zero-install default runs on H2 (PostgreSQL mode): the same leasing and submission code,
 * with the same migrations, under the same concurrency, on the embedded database's settings.
 */
class TaskAssignmentOnH2Test {

    private static final int ANNOTATORS = 20;
    private static final int TASKS = 30;
    private static final int NEEDED = 2;

    HikariDataSource dataSource;
    JdbcClient jdbc;
    TaskService tasks;
    SubmissionService submissions;
    AnnotatorRepository annotatorRepository;
    ProjectService projects;
    ProjectMemberRepository members;
    TaskFixtures fixtures;
    PromptRepository prompts;
    TaskRepository taskRepository;

    @BeforeEach
    void embeddedDatabase() {
        dataSource = new HikariDataSource();
        // The URL options of ZeroInstallDefaults, in memory instead of a file.
        dataSource.setJdbcUrl("jdbc:h2:mem:tasks-" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        dataSource.setUsername("sa");
        dataSource.setMaximumPoolSize(10);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();

        JsonMapper json = JsonMapper.builder().build();
        jdbc = JdbcClient.create(dataSource);
        var tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        var assignments = new AssignmentRepository(jdbc, json);
        prompts = new PromptRepository(jdbc, json);
        taskRepository = new TaskRepository(jdbc, json);
        annotatorRepository = new AnnotatorRepository(jdbc);
        members = new ProjectMemberRepository(jdbc);
        projects = new ProjectService(new ProjectRepository(jdbc), members);
        var annotators = StandaloneAnnotators.service(jdbc, null);
        var topics = new RlhfProperties.TopicSettings(Topics.RANKINGS, Topics.SAMPLE_REQUESTS, Topics.SAMPLES, Topics.TRAINER_METRICS, 1, (short) 1);
        var properties = new RlhfProperties(Path.of("."), new RlhfProperties.Kafka(false, 9092, 9093), topics);
        Clock clock = Clock.systemUTC();
        tasks = new TaskService(assignments, projects, prompts, annotators, tx, clock);
        submissions = new SubmissionService(assignments, new RankingRepository(jdbc, json), prompts, new OutboxWriter(jdbc, event -> { }, new BulkInsert(dataSource)),
                annotators, tx, clock, properties, new DatabaseKind(dataSource), new DurableCommits(new DatabaseKind(dataSource), jdbc, true), members,
                projects);
    }

    @AfterEach
    void close() {
        dataSource.close();
    }

    @Test
    void concurrentAnnotatorsDrainAProjectOnH2() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("h2-crowd", "", 3, NEEDED, 600)).id();
        fixtures = new TaskFixtures(null, prompts, taskRepository);
        IntStream.range(0, TASKS).forEach(i -> fixtures.task(project, "h2 prompt " + i, 3, NEEDED));
        List<String> names = IntStream.range(0, ANNOTATORS).mapToObj(i -> "h2-" + i).toList();
        names.forEach(n -> {
            var account = new Annotator(UUID.randomUUID(), n, "{noop}x", Set.of(Annotator.Role.ANNOTATOR), Instant.now());
            annotatorRepository.insert(account);
            members.add(project, account.id(), Instant.now());
        });

        Map<UUID, List<String>> leasesGranted = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        int submitted = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(ANNOTATORS)) {
            List<Future<Integer>> running = new ArrayList<>();
            for (String name : names) {
                running.add(pool.submit(() -> {
                    start.await();
                    int mine = 0;
                    try {
                        for (Optional<NextTask> next = tasks.next(name, project); next.isPresent(); next = tasks.next(name, project)) {
                            UUID taskId = next.get().taskId();
                            leasesGranted.computeIfAbsent(taskId, id -> Collections.synchronizedList(new ArrayList<>())).add(name);
                            List<String> ids = next.get().responses().stream().map(r -> r.id().toString()).toList();
                            submissions.submit(name, taskId, new RankingSubmission(List.of(ids.subList(0, 1), ids.subList(1, ids.size())),
                                    Map.of(), false, null, 10L));
                            mine++;
                        }
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (Future<Integer> f : running) {
                submitted += f.get();
            }
        }

        assertThat(failures).isEmpty();
        assertThat(submitted).isEqualTo(TASKS * NEEDED);
        assertThat(leasesGranted).hasSize(TASKS).allSatisfy((task, holders) -> assertThat(holders).hasSize(NEEDED).doesNotHaveDuplicates());
        assertThat(jdbc.sql("SELECT rankings_count FROM tasks").query(Integer.class).list()).hasSize(TASKS).containsOnly(NEEDED);
        assertThat(jdbc.sql("SELECT count(*) FROM rankings").query(Integer.class).single()).isEqualTo(TASKS * NEEDED);
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE topic = ?").param(Topics.RANKINGS).query(Integer.class).single())
                .isEqualTo(TASKS * NEEDED);
    }

    /**
     * H2 stores a NUL and an unpaired surrogate that PostgreSQL refuses or turns into '?': the services
     * refuse them before the database, so both databases (and the UI, which calls the same services) agree.
     */
    @Test
    void textsPostgresCannotStoreAreRefusedOnH2TooBeforeTheDatabase() {
        UUID project = projects.create(new ProjectService.ProjectSettings("h2-texts", "", 2, 1, 600)).id();
        jdbc.sql("UPDATE projects SET guidelines = ? WHERE id = ?").params("raw\0nul", project).update();
        assertThat(jdbc.sql("SELECT guidelines FROM projects WHERE id = ?").param(project).query(String.class).single())
                .as("H2 itself stores a NUL").isEqualTo("raw\0nul");

        assertInvalid(() -> projects.create(new ProjectService.ProjectSettings("h2\0name", "", 2, 1, 600)), "name", "name contains a NUL character");
        assertInvalid(() -> projects.update(project, new ProjectService.ProjectSettings("h2-texts", "lone \ud800", 2, 1, 600)), "guidelines",
                "guidelines contains an unpaired UTF-16 surrogate (\\ud800)");
        var tokens = new dev.rlhf.feedback.annotator.ApiTokenService(jdbc, annotatorRepository, dev.rlhf.feedback.annotator.CredentialsProperties.defaults());
        UUID owner = UUID.randomUUID();
        annotatorRepository.insert(new Annotator(owner, "h2-owner", "{noop}x", Set.of(Annotator.Role.ANNOTATOR), Instant.now()));
        assertInvalid(() -> tokens.create(owner, "ci\0"), "name", "name contains a NUL character");
        assertInvalid(() -> tokens.create(owner, "t".repeat(101)), "name", "name has 101 characters; at most 100 are allowed");

        fixtures = new TaskFixtures(null, prompts, taskRepository);
        var task = fixtures.task(project, "h2 texts", 2, 1);
        UUID texter = UUID.randomUUID();
        annotatorRepository.insert(new Annotator(texter, "h2-texter", "{noop}x", Set.of(Annotator.Role.ANNOTATOR), Instant.now()));
        members.add(project, texter, Instant.now());
        List<String> ids = tasks.next("h2-texter", project).orElseThrow().responses().stream().map(r -> r.id().toString()).toList();
        List<List<String>> ranking = List.of(ids.subList(0, 1), ids.subList(1, 2));
        assertInvalid(() -> submissions.submit("h2-texter", task.taskId(), new RankingSubmission(ranking, Map.of(), false, "Blue\0", 10L)),
                "rewrite", "rewrite contains a NUL character");
        assertInvalid(() -> submissions.submit("h2-texter", task.taskId(), new RankingSubmission(ranking, Map.of(), false, "Blue\udc00", 10L)),
                "rewrite", "rewrite contains an unpaired UTF-16 surrogate");
        assertInvalid(() -> submissions.submit("h2-texter", task.taskId(),
                new RankingSubmission(ranking, Map.of(ids.get(0), Collections.singletonList(null)), false, null, 10L)), "flags." + ids.get(0) + "[0]", "is null");
        assertInvalid(() -> submissions.submit("h2-texter", task.taskId(), new RankingSubmission(ranking, Map.of(), false, null, null)),
                "durationMs", "durationMs is required");
        assertInvalid(() -> tasks.skip("h2-texter", task.taskId(), "why\0"), "reason", "reason contains a NUL character");
        assertThat(jdbc.sql("SELECT count(*) FROM rankings").query(Integer.class).single()).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM api_tokens").query(Integer.class).single()).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM projects").query(Integer.class).single()).isEqualTo(1);

        submissions.submit("h2-texter", task.taskId(), new RankingSubmission(ranking, Map.of(), false, "Blue \uD83D\uDC99", 10L));
        assertThat(jdbc.sql("SELECT rewrite FROM rankings").query(String.class).single()).isEqualTo("Blue \uD83D\uDC99");
    }

    /** H2 takes the statement-per-step path of SubmissionService: each mode's grades are stored and in the event there too. */
    @Test
    void everyFeedbackModeStoresItsGradesAndEmitsThemOnH2() {
        fixtures = new TaskFixtures(null, prompts, taskRepository);
        UUID annotator = UUID.randomUUID();
        annotatorRepository.insert(new Annotator(annotator, "h2-modes", "{noop}x", Set.of(Annotator.Role.ANNOTATOR), Instant.now()));
        Map<String, RankingSubmitted> events = new LinkedHashMap<>();
        for (String mode : List.of("ranking", "pairwise", "rating", "binary")) {
            UUID project = projects.create(new ProjectService.ProjectSettings("h2-" + mode, "", 2, 1, 600, mode)).id();
            members.add(project, annotator, Instant.now());
            var task = fixtures.task(project, "h2 " + mode, 2, 1);
            String r0 = task.responseIds().get(0).toString(), r1 = task.responseIds().get(1).toString();
            assertThat(tasks.next("h2-modes", project).orElseThrow().feedbackMode().wireName()).isEqualTo(mode);
            List<List<String>> ranking = List.of(List.of(r1), List.of(r0));
            var body = switch (mode) {
                case "ranking" -> new RankingSubmission(ranking, Map.of(), false, null, 10L);
                case "pairwise" -> new RankingSubmission(ranking, Map.of(), false, null, 10L, 1, null, null);
                case "rating" -> new RankingSubmission(null, Map.of(), false, null, 10L, null, Map.of(r0, 3, r1, 7), null);
                default -> new RankingSubmission(null, Map.of(), false, null, 10L, null, null, Map.of(r0, false, r1, true));
            };
            UUID eventId = submissions.submit("h2-modes", task.taskId(), body).eventId();
            var stored = jdbc.sql("SELECT ranking, feedback_mode, strength, ratings, labels FROM rankings WHERE task_id = ?").param(task.taskId())
                    .query().singleRow();
            assertThat(stored.get("feedback_mode")).isEqualTo(mode);
            assertThat(stored.get("ranking")).as("given or derived, r1 over r0").isEqualTo("[[\"" + r1 + "\"],[\"" + r0 + "\"]]");
            byte[] payload = jdbc.sql("SELECT payload FROM outbox WHERE event_id = ?").param(eventId).query((rs, n) -> rs.getBytes(1)).single();
            try (var deserializer = new AvroEventDeserializer<>(RankingSubmitted.class)) {
                RankingSubmitted event = deserializer.deserialize(Topics.RANKINGS, payload);
                assertThat(event.getRanking()).containsExactly(List.of(r1), List.of(r0));
                events.put(mode, event);
            }
            switch (mode) {
                case "pairwise" -> assertThat(((Number) stored.get("strength")).intValue()).isEqualTo(1);
                case "rating" -> assertThat(stored.get("ratings")).isNotNull();
                case "binary" -> assertThat(stored.get("labels")).isNotNull();
                default -> assertThat(stored.get("strength")).isNull();
            }
        }
        assertThat(events.values()).extracting(RankingSubmitted::getFeedbackMode).containsExactly("ranking", "pairwise", "rating", "binary");
        assertThat(events.get("ranking").getStrength()).isNull();
        assertThat(events.get("pairwise").getStrength()).isEqualTo(1);
        assertThat(events.get("rating").getRatings()).hasSize(2).containsValues(3, 7);
        assertThat(events.get("binary").getLabels()).hasSize(2).containsValues(false, true);
    }

    private static void assertInvalid(Runnable call, String field, String detail) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status().value()).isEqualTo(400);
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).contains(detail);
        });
    }
}
