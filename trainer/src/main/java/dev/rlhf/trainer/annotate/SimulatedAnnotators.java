package dev.rlhf.trainer.annotate;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.rlhf.trainer.align.labeler.Labeler;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.annotate.AnnotationAppClient.NextTask;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * N simulated annotators ranking a project's tasks through the annotation app's REST API, each on
 * its own thread with its own account, the way people at their desks would: take the next task,
 * rank its responses with a preference oracle (a {@link Labeler}), wait the think time, submit.
 *
 * <p>Accounts are {@code <prefix>-1 .. <prefix>-N}, created by the admin and made members of the
 * project (annotators take tasks only of their projects); their passwords are
 * derived from {@link Settings#accountSecret()}, so a later run with the same secret logs into the
 * accounts an earlier run created. Each annotator then works with an API token (one bcrypt check
 * at login instead of one per request).
 *
 * <p>An annotator stops when {@link #stop()} is called, when the shared budget of
 * {@link Settings#maxRankings()} is used up, or when it has had no task for
 * {@link Settings#idleTimeout()} (in a loop with a trainer, new tasks appear as the trainer
 * publishes samples, so that wait should cover a training round). Failed calls are counted,
 * remembered ({@link #errors()}) and retried after a pause; they never stop the run by themselves.
 */
public final class SimulatedAnnotators implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SimulatedAnnotators.class);

    /** How long an annotator waits before asking again after 204 (nothing for them now) or a failed call. */
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);
    /** The most recent errors kept for {@link #errors()}: enough to see what goes wrong, bounded for long runs. */
    private static final int ERRORS_KEPT = 50;

    /**
     * How the annotators run.
     *
     * @param appUrl        the annotation app, e.g. {@code http://localhost:8080}
     * @param adminUser     an admin account, used only to create the annotators' accounts and make them members of the project
     * @param adminPassword its password
     * @param projectId     the project whose tasks are ranked
     * @param annotators    how many annotators work at the same time (each its own account and thread)
     * @param accountPrefix account names are {@code <prefix>-1 .. <prefix>-N}
     * @param accountSecret the annotators' passwords are derived from it (HMAC-SHA256 of the account name)
     * @param thinkTime     pause between receiving a task and submitting its ranking (also the reported {@code durationMs})
     * @param maxRankings   stop after this many rankings in total over all annotators; 0 for no limit
     * @param idleTimeout   an annotator stops after this long without a task; {@link Duration#ZERO} to wait for tasks until stopped
     */
    @RecordBuilder
    public record Settings(URI appUrl, String adminUser, String adminPassword, UUID projectId, int annotators, String accountPrefix,
                           String accountSecret, Duration thinkTime, long maxRankings, Duration idleTimeout)
            implements SimulatedAnnotatorsSettingsBuilder.With {

        /** The accounts' name prefix of {@link #of}: {@code sim-1..N}. */
        public static final String DEFAULT_ACCOUNT_PREFIX = "sim";

        public Settings {
            Objects.requireNonNull(appUrl, "appUrl");
            Objects.requireNonNull(adminUser, "adminUser");
            Objects.requireNonNull(adminPassword, "adminPassword");
            Objects.requireNonNull(projectId, "projectId");
            Objects.requireNonNull(accountPrefix, "accountPrefix");
            Objects.requireNonNull(accountSecret, "accountSecret");
            if (annotators < 1) {
                throw new IllegalArgumentException("annotators must be >= 1, got " + annotators);
            }
            if (thinkTime == null || thinkTime.isNegative()) {
                throw new IllegalArgumentException("think time must be >= 0, got " + thinkTime);
            }
            if (maxRankings < 0) {
                throw new IllegalArgumentException("max rankings must be >= 0 (0: no limit), got " + maxRankings);
            }
            if (idleTimeout == null || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("idle timeout must be >= 0 (0: wait until stopped), got " + idleTimeout);
            }
        }

        /** The usual settings: accounts {@code sim-1..N} with passwords derived from the admin password, no think time, no limits. */
        public static Settings of(URI appUrl, String adminUser, String adminPassword, UUID projectId, int annotators) {
            return new Settings(appUrl, adminUser, adminPassword, projectId, annotators, DEFAULT_ACCOUNT_PREFIX, adminPassword, Duration.ZERO, 0,
                    Duration.ZERO);
        }

        /** Accounts {@code accountPrefix-1..N} with passwords derived from {@code accountSecret}. */
        public Settings withAccounts(String accountPrefix, String accountSecret) {
            return with(s -> s.accountPrefix(accountPrefix).accountSecret(accountSecret));
        }
    }

    /** A snapshot of the run. {@code running}: annotators still working. */
    public record Progress(long rankingsSubmitted, long errors, int running, Map<String, Long> rankingsByAnnotator) {
    }

    private final Settings settings;
    private final Labeler oracle;
    private final AtomicLong budgetClaimed = new AtomicLong();
    private final LongAdder submitted = new LongAdder();
    private final LongAdder errorCount = new LongAdder();
    private final List<String> recentErrors = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, LongAdder> byAnnotator = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopRequested;
    private CountDownLatch finished;

    /**
     * @param oracle ranks each task's responses; it is shared by all annotators and called from their
     *               threads ({@code KeywordLabeler} is thread-safe), with the prompt as one text
     */
    public SimulatedAnnotators(Settings settings, Labeler oracle) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.oracle = Objects.requireNonNull(oracle, "oracle");
    }

    /** The password of simulated account {@code username}: HMAC-SHA256 of the name keyed with the secret, hex. */
    public static String derivedPassword(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(username.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * Creates (or reuses) the accounts, logs each in for an API token and starts the annotators.
     * Returns once all are working.
     *
     * @throws AnnotationAppClient.ApiError when the app cannot be reached, the admin login fails, the
     *                                      project does not exist, or an account exists with another password
     */
    public synchronized SimulatedAnnotators start() {
        if (finished != null) {
            throw new IllegalStateException("already started");
        }
        AnnotationAppClient admin = AnnotationAppClient.basic(settings.appUrl(), settings.adminUser(), settings.adminPassword());
        admin.project(settings.projectId()); // fails clearly on a bad admin login or project before any account is made
        Map<String, AnnotationAppClient> clients = new LinkedHashMap<>();
        for (int i = 1; i <= settings.annotators(); i++) {
            String username = settings.accountPrefix() + "-" + i;
            String password = derivedPassword(settings.accountSecret(), username);
            boolean created = admin.createAccount(username, password, "ANNOTATOR").isPresent();
            AnnotationAppClient login = AnnotationAppClient.basic(settings.appUrl(), username, password);
            String token;
            try {
                token = login.createToken("simulated annotator");
            } catch (AnnotationAppClient.ApiError e) {
                if (e.status() == 401 && !created) {
                    // Reported as a conflict: the admin login worked, the existing account is the problem.
                    throw new AnnotationAppClient.ApiError(409, "account " + username + " already exists with another password: "
                            + "use the secret (or admin password) of the run that created it, or another account prefix");
                }
                throw e;
            }
            clients.put(username, login.withToken(token));
            byAnnotator.put(username, new LongAdder());
        }
        // Annotators see and take tasks only of the projects they are members of (new or earlier accounts alike).
        admin.addMembers(settings.projectId(), List.copyOf(clients.keySet()));
        finished = new CountDownLatch(clients.size());
        for (Map.Entry<String, AnnotationAppClient> c : clients.entrySet()) {
            threads.add(Thread.ofPlatform().name("annotator-" + c.getKey()).daemon().start(() -> {
                try {
                    work(c.getKey(), c.getValue());
                } finally {
                    finished.countDown();
                }
            }));
        }
        log.info("{} simulated annotators ({}-1..{}) ranking project {} at {}", clients.size(), settings.accountPrefix(),
                settings.annotators(), settings.projectId(), settings.appUrl());
        return this;
    }

    /** One annotator's loop. */
    private void work(String username, AnnotationAppClient client) {
        long lastTaskNanos = System.nanoTime();
        while (!stopRequested) {
            if (settings.maxRankings() > 0 && budgetClaimed.incrementAndGet() > settings.maxRankings()) {
                break;
            }
            boolean ranked = false;
            try {
                var task = client.nextTask(settings.projectId());
                if (task.isPresent()) {
                    lastTaskNanos = System.nanoTime();
                    rank(username, client, task.get());
                    ranked = true;
                }
            } catch (AnnotationAppClient.ApiError | IllegalArgumentException e) {
                if (stopRequested) {
                    break; // a call cut short by stop() is not a failure of the app
                }
                recordError(username, e.getMessage());
            }
            if (ranked) {
                continue;
            }
            if (settings.maxRankings() > 0) {
                budgetClaimed.decrementAndGet(); // this try ranked nothing: give its claim back
            }
            if (!settings.idleTimeout().isZero() && System.nanoTime() - lastTaskNanos >= settings.idleTimeout().toNanos()) {
                log.info("{}: no task for {} s, stopping", username, settings.idleTimeout().toSeconds());
                break;
            }
            pause(RETRY_PAUSE);
        }
    }

    private void rank(String username, AnnotationAppClient client, NextTask task) {
        long received = System.nanoTime();
        List<String> texts = task.responses().stream().map(NextTask.ShownResponse::text).toList();
        Ranking ranking = oracle.rank(task.prompt().asText(), texts);
        List<List<String>> groups = new ArrayList<>();
        for (int[] group : ranking.groups()) {
            List<String> ids = new ArrayList<>();
            for (int index : group) {
                ids.add(task.responses().get(index).id().toString());
            }
            groups.add(ids);
        }
        pause(settings.thinkTime());
        if (stopRequested) {
            return; // the lease runs out and the task goes back to the pool for someone else
        }
        long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - received);
        client.submitRanking(task.taskId(), new AnnotationAppClient.RankingSubmission(groups, Map.of(), false, null, durationMs));
        submitted.increment();
        byAnnotator.get(username).increment();
    }

    private void recordError(String username, String message) {
        errorCount.increment();
        String line = username + ": " + message;
        log.warn("{}", line);
        synchronized (recentErrors) {
            recentErrors.add(line);
            if (recentErrors.size() > ERRORS_KEPT) {
                recentErrors.removeFirst();
            }
        }
    }

    private void pause(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            stopRequested = true; // interrupted by stop(): the loop ends at its next check
        }
    }

    /** Asks every annotator to stop after its current call; a ranking being thought about is not submitted. */
    public void stop() {
        stopRequested = true;
        synchronized (this) {
            threads.forEach(Thread::interrupt);
        }
    }

    /** Waits until every annotator has stopped (on its own or after {@link #stop()}); true if they all did in time. */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        CountDownLatch latch;
        synchronized (this) {
            latch = finished;
        }
        if (latch == null) {
            throw new IllegalStateException("not started");
        }
        return latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Rankings the app acknowledged (201) so far, over all annotators. */
    public long rankingsSubmitted() {
        return submitted.sum();
    }

    /** Failed calls so far (each retried after a pause). */
    public long errorCount() {
        return errorCount.sum();
    }

    /** The most recent failures, oldest first, each "account: what failed" (at most {@value #ERRORS_KEPT}). */
    public List<String> errors() {
        synchronized (recentErrors) {
            return List.copyOf(recentErrors);
        }
    }

    public Progress progress() {
        Map<String, Long> counts = new LinkedHashMap<>(); // sim-2 before sim-10
        byAnnotator.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, LongAdder> e) -> e.getKey().length()).thenComparing(Map.Entry::getKey))
                .forEach(e -> counts.put(e.getKey(), e.getValue().sum()));
        CountDownLatch latch;
        synchronized (this) {
            latch = finished;
        }
        return new Progress(submitted.sum(), errorCount.sum(), latch == null ? 0 : (int) latch.getCount(), counts);
    }

    /** Stops the annotators and waits for them (up to 30 s: a call in flight has that long to answer). */
    @Override
    public void close() throws InterruptedException {
        stop();
        if (finished != null) {
            awaitFinished(Duration.ofSeconds(30));
        }
    }
}
