package dev.rlhf.trainer.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.rlhf.trainer.align.labeler.KeywordLabeler;
import dev.rlhf.trainer.annotate.AnnotationAppClient;
import dev.rlhf.trainer.annotate.SimulatedAnnotators;
import dev.rlhf.trainer.annotate.SimulatedAnnotatorsSettingsBuilder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trainer annotate}: simulated annotators ranking a project's tasks through the annotation
 * app's REST API with a keyword preference oracle, for demos and end-to-end tests of the loop.
 * Prints a progress line every few seconds and a summary at the end; Ctrl-C stops it cleanly.
 */
@Command(name = "annotate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run N simulated annotators that rank a project's tasks through the REST API with a keyword preference oracle.")
public class AnnotateCommand implements Callable<Integer> {

    /** While nothing changes, a progress line this often instead of every --progress-every seconds. */
    private static final Duration IDLE_PROGRESS_EVERY = Duration.ofMinutes(1);

    @Spec
    CommandSpec spec;

    @Mixin
    AppAdminOptions app;

    static final class ProjectChoice {
        @Option(names = "--project", paramLabel = "ID", description = "The project's id.")
        UUID id;

        @Option(names = "--project-name", paramLabel = "NAME", description = "The project's name.")
        String name;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    ProjectChoice project;

    @Option(names = "--annotators", defaultValue = "4", paramLabel = "N", description = "Annotators working at the same time (default ${DEFAULT-VALUE}).")
    int annotators;

    @Option(names = "--oracle-word", defaultValue = "park", paramLabel = "WORD",
            description = "The oracle prefers responses that mention this word more often (whole word, any case; default ${DEFAULT-VALUE}).")
    String oracleWord;

    @Option(names = "--flip-rate", defaultValue = "0", paramLabel = "P",
            description = "Share of rankings reported reversed, as noise (default ${DEFAULT-VALUE}).")
    double flipRate;

    // These four are boxed without a picocli default: unset keeps Settings.of's value (see Overlay).
    @Option(names = "--think-ms", paramLabel = "MS",
            description = "Pause before submitting each ranking, reported as its duration (default 0).")
    Long thinkMs;

    @Option(names = "--max-rankings", paramLabel = "N",
            description = "Stop after this many rankings over all annotators; 0 for no limit (default 0).")
    Long maxRankings;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS",
            description = "An annotator stops after this long without a task; 0 waits for new tasks until Ctrl-C (default 0).")
    Long idleTimeoutSeconds;

    @Option(names = "--account-prefix", paramLabel = "PREFIX",
            description = "Accounts are PREFIX-1..PREFIX-N (default " + SimulatedAnnotators.Settings.DEFAULT_ACCOUNT_PREFIX + ").")
    String accountPrefix;

    @Option(names = "--account-secret", defaultValue = "${env:RLHF_SIMULATED_ANNOTATOR_SECRET}", paramLabel = "SECRET",
            description = "The accounts' passwords are derived from it, so later runs reuse the accounts "
                    + "(env RLHF_SIMULATED_ANNOTATOR_SECRET; default: the admin password).")
    String accountSecret;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of the oracle's flips (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--progress-every", defaultValue = "5", paramLabel = "SECONDS",
            description = "Seconds between progress lines; while nothing changes, one a minute (default ${DEFAULT-VALUE}).")
    long progressSeconds;

    @Override
    public Integer call() throws InterruptedException {
        SimulatedAnnotators.Settings settings = settings();
        KeywordLabeler oracle = new KeywordLabeler(oracleWord, flipRate, seed);
        PrintWriter out = spec.commandLine().getOut();
        SimulatedAnnotators run = new SimulatedAnnotators(settings, oracle);
        try {
            run.start();
        } catch (AnnotationAppClient.ApiError e) {
            throw new BadInputException(startFailure(e));
        }
        out.printf("annotate: %d simulated annotators (%s-1..%s-%d) ranking project %s at %s; oracle prefers \"%s\", flip rate %s%n",
                annotators, settings.accountPrefix(), settings.accountPrefix(), annotators, settings.projectId(), app.url, oracle.word(), flipRate);
        out.flush();

        CountDownLatch exited = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            run.stop();
            try {
                exited.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "annotate-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long started = System.nanoTime();
        long lastCount = 0;
        long lastNanos = started;
        try {
            long lastErrors = 0;
            while (!run.awaitFinished(Duration.ofSeconds(progressSeconds))) {
                long now = System.nanoTime();
                long count = run.rankingsSubmitted();
                long errors = run.errorCount();
                if (count == lastCount && errors == lastErrors && now - lastNanos < IDLE_PROGRESS_EVERY.toNanos()) {
                    continue; // waiting for tasks (in the loop: for the trainer's next samples); one line a minute says so
                }
                out.printf("annotate: %d rankings submitted (%.2f/s over the last %d s), %d errors, %d annotators working%n",
                        count, (count - lastCount) / ((now - lastNanos) / 1e9), Math.round((now - lastNanos) / 1e9), errors,
                        run.progress().running());
                out.flush();
                lastCount = count;
                lastErrors = errors;
                lastNanos = now;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf("annotate: done: %d rankings in %.0f s (%.2f/s), %d errors; per annotator %s%n", run.rankingsSubmitted(), seconds,
                    run.rankingsSubmitted() / Math.max(seconds, 1e-9), run.errorCount(), run.progress().rankingsByAnnotator());
            out.flush();
        } finally {
            exited.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for us
            }
        }
        return 0;
    }

    private SimulatedAnnotators.Settings settings() {
        URI appUrl = app.appUrl();
        if (annotators < 1) {
            throw new BadInputException("--annotators must be >= 1, got " + annotators);
        }
        if (!(flipRate >= 0 && flipRate <= 1)) {
            throw new BadInputException("--flip-rate must be in [0, 1], got " + flipRate);
        }
        if (oracleWord.isBlank()) {
            throw new BadInputException("--oracle-word must not be blank");
        }
        if (thinkMs != null && thinkMs < 0) {
            throw new BadInputException("--think-ms must be >= 0, got " + thinkMs);
        }
        if (maxRankings != null && maxRankings < 0) {
            throw new BadInputException("--max-rankings must be >= 0 (0: no limit), got " + maxRankings);
        }
        if (idleTimeoutSeconds != null && idleTimeoutSeconds < 0) {
            throw new BadInputException("--idle-timeout must be >= 0 (0: wait until Ctrl-C), got " + idleTimeoutSeconds);
        }
        if (progressSeconds < 1) {
            throw new BadInputException("--progress-every must be >= 1, got " + progressSeconds);
        }
        UUID projectId = project.id != null ? project.id : projectIdByName();
        var settings = SimulatedAnnotatorsSettingsBuilder.builder(
                SimulatedAnnotators.Settings.of(appUrl, app.adminUser, app.adminPassword, projectId, annotators));
        Overlay.set(accountPrefix, settings::accountPrefix);
        if (accountSecret != null && !accountSecret.isEmpty()) { // unset or empty: the admin password, as Settings.of has it
            settings.accountSecret(accountSecret);
        }
        Overlay.set(thinkMs, ms -> settings.thinkTime(Duration.ofMillis(ms)));
        Overlay.set(maxRankings, settings::maxRankings);
        Overlay.set(idleTimeoutSeconds, seconds -> settings.idleTimeout(Duration.ofSeconds(seconds)));
        return settings.build();
    }

    private UUID projectIdByName() {
        try {
            return app.admin().projectNamed(project.name)
                    .orElseThrow(() -> new BadInputException("--project-name: no project named '" + project.name + "' at " + app.url))
                    .id();
        } catch (AnnotationAppClient.ApiError e) {
            throw new BadInputException(startFailure(e));
        }
    }

    /** One line that says which option to look at. */
    private String startFailure(AnnotationAppClient.ApiError e) {
        String common = app.failure(e);
        if (common != null) {
            return common;
        }
        return e.status() == 404 ? "--project " + project.id + ": " + e.getMessage() : e.getMessage();
    }
}
