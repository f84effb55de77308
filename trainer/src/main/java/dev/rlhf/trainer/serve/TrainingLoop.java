package dev.rlhf.trainer.serve;

import ai.djl.Device;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The closed loop of {@code trainer serve}. The Kafka consumer thread hands every ranking and sample
 * request to {@link #onRanking} and {@link #onSampleRequest}, which store it durably before the
 * offset is committed. One worker thread ({@link #run}) does all model work, in this order:
 * <ol>
 *   <li>answers new sample requests with K samples of the current policy;</li>
 *   <li>when {@code trainEvery} new comparisons have arrived (or labelers have ranked every task it
 *       published and no ranking came for {@code idleSeconds}: it then trains on what it has), runs a
 *       round on everything stored: fits the reward model (warm-started from the previous round's);
 *       improves the latest promoted policy with DPO or PPO, the KL term anchored to the SFT policy
 *       (the model given with --model) unless {@code --reference previous}; writes the new version to
 *       {@code policies/v<N>} atomically; measures its {@link dev.rlhf.trainer.health.PolicyHealth} on held-out prompts against
 *       the SFT policy's, and promotes it only when it keeps within the {@link dev.rlhf.trainer.health.Guardrails}; then samples
 *       K responses for the most recently ranked prompts, half from the new version and half from the
 *       previous one so labelers rank them head to head, and publishes them. A rejected version stays on
 *       disk, marked in its {@code health.json}; labelers get fresh samples of the current version
 *       instead, and the next round starts again from the current version with half the learning rate
 *       (DPO) or twice the KL coefficient (PPO) for every rejection in a row;</li>
 *   <li>when labelers have ranked everything and nothing new came in, samples fresh responses of the
 *       most recently ranked prompts from the current policy, so a project smaller than the training
 *       threshold never stalls.</li>
 * </ol>
 * Every phase boundary is recorded in {@link LoopState}; a restart continues with the phase that
 * was running (PPO from its last rollout checkpoint). Samples carry event ids derived from the
 * round and prompt, so a phase repeated after a crash publishes duplicates that consumers drop.
 * The loop publishes what it is waiting for as {@code loop/...} metrics every few seconds, and
 * every version's health as {@code health/...} metrics (phase {@code health}, step = the version).
 * <p>This class is the schedule; the parts it runs: {@link Intake} (events into the stores),
 * {@link Sampling} (samples for labelers), {@link TrainingRound} (one round, phase by phase) with
 * {@link VersionHealth}, and {@link StateLayout} (every path of the state directory).
 */
public final class TrainingLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);

    /** Seconds between two {@code loop/...} status metrics while nothing changes. */
    private static final long STATUS_EVERY_SECONDS = 10;

    private final StateLayout layout;
    private final LoopConfig config;
    private final LoopStateFile state;
    private final Intake intake;
    private final Sampling sampling;
    private final TrainingRound round;
    private final MetricsSink statusMetrics;
    private volatile boolean stopping;
    private long lastStatusAt;
    private String lastStatus = "";

    public TrainingLoop(Path stateDir, Path basePolicy, Path tokenizer, Device device, LoopConfig config, OutboundEvents out)
            throws IOException {
        this(stateDir, basePolicy, tokenizer, device, config, out, null);
    }

    /**
     * @param healthPrompts the fixed held-out prompts every version's health is measured on; null to hold out
     *                      every {@value VersionHealth#HOLDOUT_MODULUS}th requested prompt (by id) from training instead
     */
    public TrainingLoop(Path stateDir, Path basePolicy, Path tokenizer, Device device, LoopConfig config, OutboundEvents out,
                        List<String> healthPrompts) throws IOException {
        this.layout = new StateLayout(stateDir, basePolicy);
        this.config = config;
        Files.createDirectories(stateDir);
        this.intake = new Intake(layout);
        this.state = new LoopStateFile(stateDir);
        PolicyVersions versions = new PolicyVersions(layout, tokenizer, device);
        this.sampling = new Sampling(versions, config, out, intake, state);
        VersionHealth health = new VersionHealth(versions, config, intake, sampling, healthPrompts,
                MetricsSink.jsonl(layout.healthMetrics()).and(out.metrics("health")));
        this.round = new TrainingRound(versions, config, out, intake, sampling, health, state);
        this.statusMetrics = out.metrics("loop");
        LoopState s = state.current();
        PreferenceStore store = intake.store();
        log.info("Trainer state in {}: policy v{}, {} rankings ({} comparisons, {} trained), {} sample requests ({} answered){}",
                stateDir, s.version(), store.size(), store.comparisons(), s.comparisonsTrained(), intake.requests().size(),
                s.requestsAnswered(), s.round() == null ? "" : "; round " + s.round().number() + " resumes at "
                        + s.round().phase());
    }

    // ------------------------------------------------------------ consumer thread

    /** Puts what the handlers below wrote on disk; the consumer calls it before committing offsets. */
    public void sync() {
        intake.sync();
    }

    /** Stores a ranking (durable at the next {@link #sync}, before its offset is committed); a duplicate event id is dropped. */
    public void onRanking(RankingSubmitted ranking) {
        intake.onRanking(ranking);
    }

    /** Stores a sample request durably; the worker answers it in order. */
    public void onSampleRequest(SampleRequested request) {
        intake.onSampleRequest(request);
    }

    // ------------------------------------------------------------ worker thread

    /** Runs until {@link #stop()}: answers sample requests, runs rounds when due, refills the task pool. */
    public void run() {
        Devices.noGradOnThisThread();
        while (!stopping) {
            try {
                LoopState s = state.current();
                if (s.round() != null) {
                    publishStatus("round");
                    round.runPhase();
                } else if (s.requestsAnswered() < intake.requests().size()) {
                    publishStatus("requests");
                    sampling.answerRequests();
                } else if (newComparisons() >= config.trainEvery()) {
                    round.start("after " + newComparisons() + " new comparisons");
                } else if (labelersDone() && newComparisons() > 0) {
                    round.start("labelers ranked every task and none came for " + intake.idleSeconds() + " s: training on the "
                            + newComparisons() + " new comparisons there are, short of " + config.trainEvery());
                } else if (labelersDone() && intake.rankedSinceRefill() && intake.store().size() > 0) {
                    sampling.refill();
                } else {
                    publishStatus("waiting");
                    Thread.sleep(250);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public void stop() {
        stopping = true;
    }

    public LoopState state() {
        return state.current();
    }

    public PreferenceStore store() {
        return intake.store();
    }

    public Path policyDir(int version) {
        return layout.policyDir(version);
    }

    public static String versionName(int version) {
        return StateLayout.versionName(version);
    }

    private long newComparisons() {
        return intake.store().comparisons() - state.current().comparisonsTrained();
    }

    private boolean labelersDone() {
        return intake.labelersDone(config.idleSeconds());
    }

    /** What the loop waits for, as {@code loop/...} metrics: at each change and every few seconds. */
    private void publishStatus(String activity) {
        long now = System.currentTimeMillis() / 1000;
        LoopState s = state.current();
        int pending = intake.requests().size() - s.requestsAnswered();
        String status = activity + "/" + s.version() + "/" + (s.round() == null ? 0 : s.round().number()) + "/"
                + newComparisons() + "/" + pending;
        if (status.equals(lastStatus) && now - lastStatusAt < STATUS_EVERY_SECONDS) {
            return;
        }
        lastStatus = status;
        lastStatusAt = now;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loop/version", (double) s.version());
        m.put("loop/round", s.round() == null ? 0.0 : s.round().number());
        m.put("loop/comparisons_new", (double) newComparisons());
        m.put("loop/train_every", (double) config.trainEvery());
        m.put("loop/idle_seconds", (double) intake.idleSeconds());
        m.put("loop/idle_limit_seconds", (double) config.idleSeconds());
        m.put("loop/requests_pending", (double) pending);
        m.put("loop/tasks_awaiting", (double) intake.tasksAwaiting());
        statusMetrics.record("loop", (int) now, m);
    }

    @Override
    public void close() throws IOException {
        sampling.close();
        intake.close();
    }
}
