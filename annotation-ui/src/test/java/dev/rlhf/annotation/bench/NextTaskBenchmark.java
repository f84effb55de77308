package dev.rlhf.annotation.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.annotation.workspace.RankingBoard;
import dev.rlhf.annotation.workspace.SafeMarkdown;
import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.task.NextTask;
import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.feedback.task.SubmissionService;
import dev.rlhf.feedback.task.TaskService;
import dev.rlhf.feedback.testing.TestInfrastructure;

/**
 * Benchmark (run by {@code ./bench.sh ui}, not by the test suite): the server time to show the next
 * task in the workspace — lease it in PostgreSQL, build the ranking board with its rendered markdown —
 * for 50 annotator sessions at once, each ranking tasks back to back. Prints p50/p90/p99 and writes
 * {@code annotation-ui/target/benchmark-results.md}. Only counts are asserted, never times.
 */
@Tag("benchmark")
@SpringBootTest(classes = AnnotationApplication.class, properties = "logging.file.name=target/test-logs/bench.log")
class NextTaskBenchmark {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();
    static final int SESSIONS = Integer.getInteger("bench.sessions", 50);
    static final int TASKS_PER_SESSION = Integer.getInteger("bench.tasksPerSession", 20);
    /** Pause between submitting a task and asking for the next, as a person reading takes (0 = back to back, a stress test). */
    static final long THINK_MILLIS = Long.getLong("bench.thinkMillis", 0);
    static final int K = 4;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @Autowired
    ProjectService projects;
    @Autowired
    ImportService imports;
    @Autowired
    ProjectMemberService memberships;
    @Autowired
    TaskService tasks;
    @Autowired
    SubmissionService submissions;

    @Test
    void nextTaskServerTimeAt50ConcurrentSessions() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("bench-" + UUID.randomUUID(), "Rank by **coherence**.", K, 1, null)).id();
        int taskCount = SESSIONS * TASKS_PER_SESSION;
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < taskCount; i++) {
            lines.append("{\"prompt\": \"Write a short story number ").append(i).append(" about a *brave* mouse.\", \"responses\": [");
            for (int r = 0; r < K; r++) {
                lines.append(r == 0 ? "" : ", ").append("{\"text\": \"Story ").append(i).append('.').append(r)
                        .append(": Once upon a time, a **mouse** found a crumb. It was very happy and shared it with friends. The end.\"}");
            }
            lines.append("]}\n");
        }
        var imported = imports.importItems(project, ImportFormat.RESPONSES, new ByteArrayInputStream(lines.toString().getBytes(StandardCharsets.UTF_8)));
        assertThat(imported.imported()).isEqualTo(taskCount);
        List<String> users = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            String user = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            memberships.createAccount(user, "bench-password", EnumSet.of(Annotator.Role.ANNOTATOR), List.of(project));
            users.add(user);
        }

        List<Long> showNanos = Collections.synchronizedList(new ArrayList<>());
        AtomicLong ranked = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> sessions = new ArrayList<>();
        java.util.Random offsets = new java.util.Random(42);
        for (String user : users) {
            // People do not all press "next" in the same millisecond: sessions start spread over one pause.
            long startOffset = THINK_MILLIS == 0 ? 0 : offsets.nextLong(THINK_MILLIS);
            sessions.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    Thread.sleep(startOffset);
                    boolean warmUp = true;
                    while (true) {
                        long t0 = System.nanoTime();
                        var next = tasks.next(user, project);
                        if (next.isEmpty()) {
                            break;
                        }
                        RankingBoard board = show(next.get());
                        if (!warmUp) { // each session's first task warms the JIT and caches; it is not measured
                            showNanos.add(System.nanoTime() - t0);
                        }
                        warmUp = false;
                        List<List<String>> ranking = board.draft().groups();
                        submissions.submit(user, next.get().taskId(), new RankingSubmission(ranking, java.util.Map.of(), false, null, 1000L));
                        ranked.incrementAndGet();
                        if (THINK_MILLIS > 0) {
                            Thread.sleep(THINK_MILLIS);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        long wall = System.nanoTime();
        start.countDown();
        for (Thread t : sessions) {
            t.join();
        }
        wall = System.nanoTime() - wall;

        assertThat(ranked.get()).as("every task shown and ranked exactly once").isEqualTo(taskCount);
        List<Long> sorted = new ArrayList<>(showNanos);
        Collections.sort(sorted);
        String table = """
                | measure | value |
                |---|---|
                | concurrent annotator sessions | %d |
                | pause between tasks per session | %d ms |
                | tasks shown and ranked | %d (first of each session not timed: warm-up) |
                | next-task server time p50 | %.1f ms |
                | next-task server time p90 | %.1f ms |
                | next-task server time p99 | %.1f ms |
                | next-task server time max | %.1f ms |
                | throughput (show + submit) | %.0f tasks/s |
                """.formatted(SESSIONS, THINK_MILLIS, ranked.get(), ms(sorted, 0.50), ms(sorted, 0.90), ms(sorted, 0.99),
                sorted.getLast() / 1e6, ranked.get() / (wall / 1e9));
        System.out.println("\nNext-task benchmark (" + Runtime.getRuntime().availableProcessors() + " cores)\n" + table);
        Files.writeString(Path.of("target", "benchmark-results.md"), table, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** What the workspace builds to show a task: the board of response cards with rendered markdown. */
    private static RankingBoard show(NextTask task) {
        task.prompt().turns().forEach(turn -> SafeMarkdown.view(turn.content()));
        SafeMarkdown.view(task.guidelines());
        return new RankingBoard(task.responses().stream().map(r -> new RankingBoard.Item(r.id().toString(), r.text())).toList());
    }

    private static double ms(List<Long> sorted, double quantile) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1)) / 1e6;
    }
}
