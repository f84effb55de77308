package dev.rlhf.trainer.serve;

import ai.djl.Device;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.ModelTemplates;
import dev.rlhf.trainer.chat.PromptLines;
import dev.rlhf.trainer.checkpoint.AtomicDirectory;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.health.Guardrails;
import dev.rlhf.trainer.health.HealthProbe;
import dev.rlhf.trainer.health.PolicyHealth;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

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
 *       {@code policies/v<N>} atomically; measures its {@link PolicyHealth} on held-out prompts against
 *       the SFT policy's, and promotes it only when it keeps within the {@link Guardrails}; then samples
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
 */
public final class TrainingLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static final String REQUESTS_FILE = "sample-requests.jsonl";
    /** A version's health and promotion decision, written beside its weights. */
    public static final String HEALTH_FILE = "health.json";
    /** Held out of training when no --health-prompts are given: requested prompts whose id hashes to 0 mod this. */
    static final int HOLDOUT_MODULUS = 8;
    /** Seconds between two {@code loop/...} status metrics while nothing changes. */
    private static final long STATUS_EVERY_SECONDS = 10;

    private final Path stateDir;
    private final Path basePolicy;
    private final Path tokenizer;
    private final Device device;
    private final LoopConfig config;
    private final OutboundEvents out;
    private final PreferenceStore store;
    private final DurableLog requests;
    /** The probe prompts given with --health-prompts, or null to hold out some of the requested prompts. */
    private final List<String> givenHealthPrompts;
    private final MetricsSink healthMetrics;
    private final MetricsSink statusMetrics;
    private LoopState state;
    private volatile boolean stopping;

    /** The current policy, loaded for sampling; replaced when a round publishes a new version. */
    private LoadedModel current;
    private int currentVersion = -1;

    /** When the last new ranking arrived (System.nanoTime), and whether one arrived since the last refill. */
    private volatile long lastRankingAt = System.nanoTime();
    private volatile boolean rankedSinceRefill;
    /** Prompts whose published samples no ranking has answered yet (since this start): labelers still have work. */
    private final Set<String> awaitingRanking = ConcurrentHashMap.newKeySet();
    private long lastStatusAt;
    private String lastStatus = "";
    private volatile ChatTemplate template;

    public TrainingLoop(Path stateDir, Path basePolicy, Path tokenizer, Device device, LoopConfig config, OutboundEvents out)
            throws IOException {
        this(stateDir, basePolicy, tokenizer, device, config, out, null);
    }

    /**
     * @param healthPrompts the fixed held-out prompts every version's health is measured on; null to hold out
     *                      every {@value #HOLDOUT_MODULUS}th requested prompt (by id) from training instead
     */
    public TrainingLoop(Path stateDir, Path basePolicy, Path tokenizer, Device device, LoopConfig config, OutboundEvents out,
                        List<String> healthPrompts) throws IOException {
        this.stateDir = stateDir;
        this.basePolicy = basePolicy;
        this.tokenizer = tokenizer;
        this.device = device;
        this.config = config;
        this.out = out;
        this.givenHealthPrompts = healthPrompts == null ? null : List.copyOf(healthPrompts);
        Files.createDirectories(stateDir);
        this.store = new PreferenceStore(stateDir);
        this.requests = new DurableLog(stateDir.resolve(REQUESTS_FILE));
        this.state = LoopState.read(stateDir);
        this.healthMetrics = MetricsSink.jsonl(stateDir.resolve("health").resolve("metrics.jsonl")).and(out.metrics("health"));
        this.statusMetrics = out.metrics("loop");
        this.rankedSinceRefill = store.size() > 0;
        log.info("Trainer state in {}: policy v{}, {} rankings ({} comparisons, {} trained), {} sample requests ({} answered){}",
                stateDir, state.version(), store.size(), store.comparisons(), state.comparisonsTrained(), requests.size(),
                state.requestsAnswered(), state.round() == null ? "" : "; round " + state.round().number() + " resumes at "
                        + state.round().phase());
    }

    // ------------------------------------------------------------ consumer thread

    /** Puts what the handlers below wrote on disk; the consumer calls it before committing offsets. */
    public void sync() {
        store.sync();
        requests.sync();
    }

    /** Stores a ranking (durable at the next {@link #sync}, before its offset is committed); a duplicate event id is dropped. */
    public void onRanking(RankingSubmitted ranking) {
        if (store.append(ranking)) {
            lastRankingAt = System.nanoTime();
            rankedSinceRefill = true;
            awaitingRanking.remove(ranking.getPromptId());
            log.debug("Ranking {} stored ({} rankings, {} comparisons)", ranking.getEventId(), store.size(), store.comparisons());
        } else {
            log.info("Ranking {} was stored before; duplicate dropped", ranking.getEventId());
        }
    }

    /** Stores a sample request durably; the worker answers it in order. */
    public void onSampleRequest(SampleRequested request) {
        ObjectNode line = JSON.createObjectNode();
        line.put(DurableLog.ID, request.getEventId().toString());
        line.put("project_id", request.getProjectId());
        line.put("prompt_id", request.getPromptId());
        // The conversation stays structured; the policy's chat template renders it when it is used (promptOf).
        ArrayNode messages = line.putArray("messages");
        request.getPrompt().forEach(t -> messages.addObject().put("role", t.getRole()).put("content", t.getContent()));
        line.put("num_samples", request.getNumSamples());
        GenerationSettings g = request.getGeneration();
        if (g != null) {
            ObjectNode settings = line.putObject("generation");
            settings.put("max_new_tokens", g.getMaxNewTokens());
            settings.put("temperature", g.getTemperature());
            settings.put("top_k", g.getTopK());
            settings.put("top_p", g.getTopP());
            settings.put("seed", g.getSeed());
        }
        if (request.getPrompt().isEmpty()) {
            throw new IllegalArgumentException("sample request " + request.getEventId() + " has an empty prompt");
        }
        requests.append(line);
    }

    /**
     * The prompt text of a stored sample request or ranking: its conversation ({@code messages} of a request,
     * {@code conversation} of a ranking; older lines: the {@code prompt} text as one user turn) rendered by
     * the SFT policy's chat template, so sampling, reward model and policy training all see the same tokens.
     */
    String promptOf(JsonNode line) {
        return PromptLines.prompt(line, template());
    }

    /** The chat template of the SFT policy (read once from its tokenizer files); trained versions keep it. */
    ChatTemplate template() {
        ChatTemplate t = template;
        if (t == null) {
            try {
                t = ModelTemplates.of(basePolicy, tokenizer);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            template = t;
        }
        return t;
    }

    // ------------------------------------------------------------ worker thread

    /** Runs until {@link #stop()}: answers sample requests, runs rounds when due, refills the task pool. */
    public void run() {
        Devices.noGradOnThisThread();
        while (!stopping) {
            try {
                if (state.round() != null) {
                    publishStatus("round");
                    continueRound();
                } else if (state.requestsAnswered() < requests.size()) {
                    publishStatus("requests");
                    answerRequests();
                } else if (newComparisons() >= config.trainEvery()) {
                    startRound("after " + newComparisons() + " new comparisons");
                } else if (labelersDone() && newComparisons() > 0) {
                    startRound("labelers ranked every task and none came for " + idleSeconds() + " s: training on the "
                            + newComparisons() + " new comparisons there are, short of " + config.trainEvery());
                } else if (labelersDone() && rankedSinceRefill && store.size() > 0) {
                    refill();
                } else {
                    publishStatus("waiting");
                    Thread.sleep(250);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    public void stop() {
        stopping = true;
    }

    public LoopState state() {
        return state;
    }

    public PreferenceStore store() {
        return store;
    }

    private long newComparisons() {
        return store.comparisons() - state.comparisonsTrained();
    }

    private long idleSeconds() {
        return (System.nanoTime() - lastRankingAt) / 1_000_000_000L;
    }

    /**
     * Whether no more comparisons can be expected: every task this run published was ranked and no
     * ranking came for idleSeconds, or none came for ten times that (tasks labelers skip never end).
     */
    private boolean labelersDone() {
        long idle = idleSeconds();
        return idle >= config.idleSeconds() && awaitingRanking.isEmpty() || idle >= 10L * config.idleSeconds();
    }

    /** What the loop waits for, as {@code loop/...} metrics: at each change and every few seconds. */
    private void publishStatus(String activity) {
        long now = System.currentTimeMillis() / 1000;
        String status = activity + "/" + state.version() + "/" + (state.round() == null ? 0 : state.round().number()) + "/"
                + newComparisons() + "/" + (requests.size() - state.requestsAnswered());
        if (status.equals(lastStatus) && now - lastStatusAt < STATUS_EVERY_SECONDS) {
            return;
        }
        lastStatus = status;
        lastStatusAt = now;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loop/version", (double) state.version());
        m.put("loop/round", state.round() == null ? 0.0 : state.round().number());
        m.put("loop/comparisons_new", (double) newComparisons());
        m.put("loop/train_every", (double) config.trainEvery());
        m.put("loop/idle_seconds", (double) idleSeconds());
        m.put("loop/idle_limit_seconds", (double) config.idleSeconds());
        m.put("loop/requests_pending", (double) (requests.size() - state.requestsAnswered()));
        m.put("loop/tasks_awaiting", (double) awaitingRanking.size());
        statusMetrics.record("loop", (int) now, m);
    }

    private void save(LoopState next) throws IOException {
        next.write(stateDir);
        state = next;
    }

    private void answerRequests() throws IOException {
        int from = state.requestsAnswered();
        List<ObjectNode> pending = requests.head(requests.size()).subList(from, requests.size());
        // One batch: requests with the same K and settings, at most 16 prompts, so progress is saved often.
        JsonNode first = pending.getFirst();
        int k = first.path("num_samples").asInt(config.numSamples());
        List<ObjectNode> batch = new ArrayList<>();
        for (ObjectNode r : pending) {
            if (batch.size() == 16 || r.path("num_samples").asInt(config.numSamples()) != k
                    || !r.path("generation").equals(first.path("generation"))) {
                break;
            }
            batch.add(r);
        }
        String version = versionName(state.version());
        GenerationConfig generation = generation(first.path("generation"), Math.max(2, k))
                .withSeed(first.path("generation").path("seed").isNumber() ? first.path("generation").path("seed").asLong()
                        : config.seed() + 7919L * state.version() + from);
        List<String> prompts = batch.stream().map(this::promptOf).toList();
        long t0 = System.nanoTime();
        List<GeneratedSample> samples = policy().generate(prompts, generation);
        for (int p = 0; p < batch.size(); p++) {
            ObjectNode r = batch.get(p);
            List<GeneratedResponse> responses = new ArrayList<>();
            for (int s = 0; s < generation.numSamples(); s++) {
                responses.add(response(samples.get(p * generation.numSamples() + s), generation, null));
            }
            publish(SamplesGenerated.newBuilder()
                    .setEventId(eventId("request", r.get(DurableLog.ID).asString(), version))
                    .setProjectId(r.get("project_id").asString()).setPromptId(r.get("prompt_id").asString())
                    .setPolicyVersion(version).setResponses(responses).build());
        }
        save(state.withRequestsAnswered(from + batch.size()));
        log.info("Answered {} sample request(s) with {} samples each from policy {} in {} ms ({} of {} answered)",
                batch.size(), generation.numSamples(), version, (System.nanoTime() - t0) / 1_000_000,
                state.requestsAnswered(), requests.size());
    }

    private void publish(SamplesGenerated samples) {
        awaitingRanking.add(samples.getPromptId());
        out.samples(samples);
    }

    private void startRound(String why) throws IOException {
        heldOutPrompts(); // fixed before the first round trains, so it never sees them
        int rankings = store.size();
        long comparisons = store.comparisons();
        LoopState.Round round = new LoopState.Round(state.lastRound() + 1, state.version(), rankings, comparisons,
                config.trainRewardModel() ? LoopState.Phase.REWARD : LoopState.Phase.POLICY, null);
        log.info("Round {} starts ({}): {} rankings, {} comparisons; {} from {}, reference {}{}", round.number(), why, rankings,
                comparisons, config.algorithm(), versionName(round.base()), config.reference() == LoopConfig.Reference.SFT
                        ? "v0 (SFT)" : versionName(round.base()),
                state.rejectedInARow() == 0 ? "" : " (" + state.rejectedInARow() + " rejected in a row: " + tightening() + ")");
        save(state.withRound(round));
    }

    /** Fresh samples of the current policy for the most recently ranked prompts, when labelers have nothing left to rank. */
    private void refill() throws IOException {
        int refill = state.refills() + 1;
        List<ObjectNode> chosen = recentPrompts(store.size());
        String version = versionName(state.version());
        GenerationConfig generation = config.generation().withNumSamples(config.numSamples())
                .withSeed(config.seed() + 2_000_029L * refill);
        List<GeneratedSample> samples = policy().generate(chosen.stream().map(this::promptOf).toList(), generation);
        int k = generation.numSamples();
        for (int p = 0; p < chosen.size(); p++) {
            List<GeneratedResponse> responses = new ArrayList<>();
            for (int s = 0; s < k; s++) {
                responses.add(response(samples.get(p * k + s), generation, version));
            }
            ObjectNode prompt = chosen.get(p);
            publish(SamplesGenerated.newBuilder()
                    .setEventId(eventId("refill", Integer.toString(refill), prompt.get("prompt_id").asString()))
                    .setProjectId(prompt.get("project_id").asString()).setPromptId(prompt.get("prompt_id").asString())
                    .setPolicyVersion(version).setResponses(responses).build());
        }
        rankedSinceRefill = false;
        save(state.withRefills(refill));
        log.info("Labelers ranked every task and {} new comparisons are short of {}: sampled {} ranked prompts afresh from {} "
                + "(refill {})", newComparisons(), config.trainEvery(), chosen.size(), version, refill);
    }

    private void continueRound() throws IOException {
        LoopState.Round round = state.round();
        Path roundDir = roundDir(round.number());
        MetricsSink metrics = MetricsSink.jsonl(roundDir.resolve("metrics.jsonl")).and(out.metrics("round-" + round.number()));
        long t0 = System.nanoTime();
        switch (round.phase()) {
            case REWARD -> {
                trainRewardModel(round, roundDir, metrics);
                save(state.withRound(round.next(LoopState.Phase.POLICY)));
            }
            case POLICY -> {
                Path trained = trainPolicy(round, roundDir, metrics);
                Path published = policyDir(round.number());
                AtomicDirectory.write(published, dir -> copyFiles(trained, dir));
                save(state.withRound(round.next(LoopState.Phase.HEALTH)));
                log.info("Policy {} written to {}", versionName(round.number()), published);
            }
            case HEALTH -> {
                boolean promoted = checkHealth(round);
                LoopState next = promoted ? state.withVersion(round.number()).withRejectedInARow(0)
                        : state.withRejectedInARow(state.rejectedInARow() + 1);
                save(next.withRound(round.withPromoted(promoted).next(LoopState.Phase.SAMPLES)));
            }
            case SAMPLES -> {
                boolean promoted = round.promoted() == null || round.promoted();
                int prompts = publishRoundSamples(round, promoted);
                save(state.completed());
                log.info("Round {} done: {} prompts sampled from {}", round.number(), prompts, promoted
                        ? versionName(round.number()) + (config.comparePrevious() ? " and " + versionName(round.base()) : "")
                        : versionName(state.version()) + " (the current version: " + versionName(round.number()) + " was not promoted)");
            }
        }
        log.info("Round {}: {} phase took {} s", round.number(), round.phase(), (System.nanoTime() - t0) / 1_000_000_000L);
    }

    /** Training data of a round: its first rankings, less those of held-out probe prompts. */
    private List<RankedResponses> trainingData(LoopState.Round round) throws IOException {
        HeldOut heldOut = heldOutPrompts();
        List<RankedResponses> data = store.head(round.rankings(), template());
        if (!heldOut.excludedFromTraining()) {
            return data;
        }
        Set<String> probe = new HashSet<>(heldOut.prompts());
        return data.stream().filter(r -> !probe.contains(r.prompt())).toList();
    }

    private void trainRewardModel(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = trainingData(round);
        Path previous = rewardModelDir(round.number() - 1);
        Path init = Files.isDirectory(previous) ? previous : basePolicy;
        log.info("Round {}: reward model on {} rankings, warm-started from {}", round.number(), data.size(), init);
        try (LoadedModel model = ModelLoader.load(init, tokenizer, device)) {
            RewardTrainer.Result result = new RewardTrainer(model, config.reward().withSeed(config.seed() + round.number()), metrics)
                    .train(data, null, roundDir.resolve("reward"));
            log.info("Round {}: reward model trained ({} steps, loss {}, accuracy {}); held-out accuracy {} on {} pairs",
                    round.number(), result.steps(), fmt(result.lastLoss()), fmt(result.lastAccuracy()),
                    result.eval() == null ? "n/a" : fmt(result.eval().accuracy()), result.eval() == null ? 0 : result.eval().pairs());
        }
    }

    /** How the round after a rejection is made gentler. */
    private String tightening() {
        double factor = Math.pow(2, state.rejectedInARow());
        return config.algorithm() == LoopConfig.Algorithm.DPO
                ? "learning rate " + sci(config.dpo().learningRate() / factor)
                : "KL coefficient " + sci(config.ppo().ppo().klCoef() * factor);
    }

    private Path trainPolicy(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = trainingData(round);
        Path policy = policyPath(round.base());
        Path reference = config.reference() == LoopConfig.Reference.SFT ? basePolicy : policy;
        long seed = config.seed() + round.number();
        double gentler = Math.pow(2, state.rejectedInARow());
        if (config.algorithm() == LoopConfig.Algorithm.DPO) {
            List<RankedResponses.PreferencePair> pairs = new ArrayList<>();
            data.forEach(r -> pairs.addAll(r.pairs()));
            var dpo = config.dpo().withSeed(seed).withLearningRate(config.dpo().learningRate() / gentler);
            log.info("Round {}: DPO on {} pairs, policy from {}, reference {}, lr {}", round.number(), pairs.size(), policy,
                    reference, sci(dpo.learningRate()));
            try (LoadedModel model = ModelLoader.load(policy, tokenizer, device);
                 LoadedModel ref = reference.equals(policy) ? null : ModelLoader.load(reference, tokenizer, device)) {
                return new DpoTrainer(model, dpo, metrics).withReference(ref).train(pairs, roundDir.resolve("dpo")).model();
            }
        }
        List<String> prompts = data.stream().map(RankedResponses::prompt).distinct().toList();
        Path ppoDir = roundDir.resolve("ppo");
        boolean resuming = Files.exists(ppoDir.resolve("resume"));
        var ppoConfig = config.ppo().ppo().withSeed(seed).withKlCoef(config.ppo().ppo().klCoef() * gentler);
        log.info("Round {}: PPO on {} prompts, actor from {}, reference {}, reward model {}, KL coefficient {}{}", round.number(),
                prompts.size(), policy, reference, rewardModelDir(round.number()), sci(ppoConfig.klCoef()),
                resuming ? " (resuming from its checkpoint)" : "");
        var run = config.ppo().withPpo(ppoConfig);
        try (PpoModels models = PpoModels.load(policy, reference, tokenizer, rewardModelDir(round.number()), device,
                run.offloadFrozen(), run.ppo().miniBatchSize())) {
            PpoTrainer.Result result = new PpoTrainer(models, run, metrics).train(prompts, null, ppoDir, true);
            log.info("Round {}: PPO done ({} steps, {} rollouts; last objective/scores {}, objective/kl {})", round.number(),
                    result.steps(), result.rollouts(), fmt(result.lastMetrics().get("objective/scores")),
                    fmt(result.lastMetrics().get("objective/kl")));
            return result.model();
        }
    }

    // ------------------------------------------------------------ health and guardrails

    /** The probe prompts and whether they are kept out of training (they are, unless given with --health-prompts). */
    record HeldOut(List<String> prompts, boolean excludedFromTraining) {}

    private HeldOut heldOut;
    /** The SFT policy's health and samples on the probe prompts, measured at the first health check of this start. */
    private HealthProbe.Result sftProbe;

    /**
     * The fixed probe set: the --health-prompts, or else every {@value #HOLDOUT_MODULUS}th requested
     * prompt by id (at most healthMaxPrompts), chosen once, when the first round starts, and kept in
     * {@code health/prompts.json}; with fewer requests than that, the first requested prompts, which
     * then are not held out (the log says so).
     */
    HeldOut heldOutPrompts() throws IOException {
        if (heldOut != null) {
            return heldOut;
        }
        Path file = stateDir.resolve("health").resolve("prompts.json");
        if (Files.exists(file)) {
            JsonNode saved = JSON.readTree(file.toFile());
            List<String> prompts = new ArrayList<>();
            saved.get("prompts").forEach(p -> prompts.add(p.asString()));
            heldOut = new HeldOut(prompts, saved.get("excluded_from_training").asBoolean());
            return heldOut;
        }
        if (givenHealthPrompts != null) {
            heldOut = new HeldOut(givenHealthPrompts.stream().limit(config.healthMaxPrompts()).toList(), false);
        } else {
            Map<String, String> byId = new LinkedHashMap<>();
            for (ObjectNode r : requests.head(requests.size())) {
                byId.putIfAbsent(r.get("prompt_id").asString(), promptOf(r));
            }
            List<String> held = byId.entrySet().stream().filter(e -> Math.floorMod(e.getKey().hashCode(), HOLDOUT_MODULUS) == 0)
                    .map(Map.Entry::getValue).distinct().limit(config.healthMaxPrompts()).toList();
            if (!held.isEmpty()) {
                heldOut = new HeldOut(held, true);
            } else {
                List<String> any = byId.values().stream().distinct().limit(config.healthMaxPrompts()).toList();
                if (any.isEmpty()) {
                    any = store.head(store.size(), template()).stream().map(RankedResponses::prompt).distinct().limit(config.healthMaxPrompts()).toList();
                }
                log.warn("Too few requested prompts to hold any out: version health is measured on {} training prompts; "
                        + "pass --health-prompts FILE for a held-out set", any.size());
                heldOut = new HeldOut(any, false);
            }
        }
        ObjectNode json = JSON.createObjectNode();
        json.put("excluded_from_training", heldOut.excludedFromTraining());
        heldOut.prompts().forEach(json.putArray("prompts")::add);
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        log.info("Version health is measured on {} prompts{}", heldOut.prompts().size(),
                heldOut.excludedFromTraining() ? " held out of training" : "");
        return heldOut;
    }

    /**
     * Measures the round's version and (once) the SFT policy on the probe prompts, publishes both as
     * {@code health/...} metrics, writes the version's {@code health.json}, and says whether the
     * guardrails promote it.
     */
    private boolean checkHealth(LoopState.Round round) throws IOException {
        List<String> prompts = heldOutPrompts().prompts();
        long seed = config.seed() + 31;
        int maxNew = config.generation().maxNewTokens();
        Path rewardDir = rewardModelDir(round.number());
        boolean scored = Files.isDirectory(rewardDir);
        long t0 = System.nanoTime();
        PolicyHealth sftHealth;
        PolicyHealth health;
        try (LoadedModel sft = ModelLoader.load(basePolicy, tokenizer, device);
             LoadedModel candidate = ModelLoader.load(policyDir(round.number()), tokenizer, device);
             LoadedModel reward = scored ? ModelLoader.load(rewardDir, tokenizer, device) : null) {
            int rewardLength = reward == null ? 0 : ValueHeadRewardSource.trainedMaxLength(rewardDir, reward.model());
            if (sftProbe == null) { // v0 is measured once per start: the same prompts and seed give the same samples
                sftProbe = HealthProbe.measure(sft, sft, null, rewardLength, prompts, config.healthSamplesPerPrompt(), maxNew, seed);
                writeSamples(healthDir(0).resolve("samples.jsonl"), sftProbe.samples(), 0);
            }
            sftHealth = reward == null ? sftProbe.health() : sftProbe.health().withScore(HealthProbe.meanScore(reward, rewardLength,
                    sftProbe.samples()));
            HealthProbe.Result result = HealthProbe.measure(candidate, sft, reward, rewardLength, prompts,
                    config.healthSamplesPerPrompt(), maxNew, seed);
            health = result.health();
            writeSamples(roundDir(round.number()).resolve("health-samples.jsonl"), result.samples(), round.number());
        }
        Guardrails guard = config.guardrails();
        Map<String, String> broken = guard.broken(health, sftHealth);
        boolean promoted = broken.isEmpty();

        // v0 once (its score under this round's reward model is in health/score_sft of the version below).
        if (!Files.exists(healthDir(0).resolve(HEALTH_FILE))) {
            writeHealth(healthDir(0), 0, sftProbe.health(), guard, sftProbe.health(), Map.of(), true);
        }
        writeHealth(policyDir(round.number()), round.number(), health, guard, sftHealth, broken, promoted);
        log.info("Round {}: {} health on {} samples of {} held-out prompts ({} s): KL to SFT {} nats/token ({} per sample), "
                        + "distinct-2 {} (v0 {}), repeated-word runs {} (v0 {}), length {} (v0 {}), reward {} (v0 {}): {}",
                round.number(), versionName(round.number()), health.samples(), prompts.size(), (System.nanoTime() - t0) / 1_000_000_000L,
                fmt(health.klToSft()), fmt(health.klToSftSeq()), fmt(health.distinct2()), fmt(sftHealth.distinct2()),
                fmt(health.repeatRate()), fmt(sftHealth.repeatRate()), fmt(health.length()), fmt(sftHealth.length()),
                fmt(health.score()), fmt(sftHealth.score()),
                promoted ? "PROMOTED" : "NOT PROMOTED: " + String.join("; ", broken.values()));
        return promoted;
    }

    private void writeHealth(Path dir, int version, PolicyHealth health, Guardrails guard, PolicyHealth sft,
                             Map<String, String> broken, boolean promoted) throws IOException {
        Map<String, Double> metrics = new LinkedHashMap<>(health.metrics());
        if (version > 0 && sft.score() != null) {
            metrics.put("health/score_sft", sft.score());
        }
        metrics.put("health/promoted", promoted ? 1.0 : 0.0);
        guard.limits(sft).forEach((name, limit) -> metrics.put("limit/" + name, limit));
        broken.keySet().forEach(name -> metrics.put("guard/" + name, 1.0));
        healthMetrics.record(PolicyHealth.PHASE, version, metrics);

        ObjectNode json = JSON.createObjectNode();
        json.put("version", versionName(version));
        json.put("promoted", promoted);
        ObjectNode reasons = json.putObject("rejected_because");
        broken.forEach(reasons::put);
        ObjectNode values = json.putObject("metrics");
        metrics.forEach(values::put);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(HEALTH_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }

    private static void writeSamples(Path file, List<GeneratedSample> samples, int version) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (GeneratedSample s : samples) {
            ObjectNode line = JSON.createObjectNode();
            line.put("version", versionName(version));
            line.put("prompt", s.prompt());
            line.put("completion", s.completion());
            line.put("tokens", s.tokenIds().length);
            line.put("finish", s.finishReason().name().toLowerCase(java.util.Locale.ROOT));
            lines.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, lines.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------ samples for labelers

    /** Up to promptsPerRound prompts: the most recently ranked first, then requested ones never ranked. */
    private List<ObjectNode> recentPrompts(int rankings) {
        Map<String, ObjectNode> prompts = new LinkedHashMap<>();
        List<ObjectNode> ranked = store.lines(rankings);
        for (ObjectNode line : ranked.reversed()) {
            prompts.putIfAbsent(line.get("prompt_id").asString(), line);
        }
        for (ObjectNode request : requests.head(requests.size())) {
            prompts.putIfAbsent(request.get("prompt_id").asString(), request);
        }
        return prompts.values().stream().limit(config.promptsPerRound()).toList();
    }

    /**
     * Samples the round's prompts and publishes them: for a promoted version ceil(K/2) responses of it
     * and floor(K/2) of the version it started from; for a rejected one, K of the current version.
     */
    private int publishRoundSamples(LoopState.Round round, boolean promoted) throws IOException {
        List<ObjectNode> chosen = recentPrompts(round.rankings());
        int k = config.numSamples();
        int fromPrevious = promoted && config.comparePrevious() ? k / 2 : 0;
        int fromNew = k - fromPrevious;
        List<String> texts = chosen.stream().map(this::promptOf).toList();
        String newVersion = versionName(promoted ? round.number() : state.version());
        String oldVersion = versionName(round.base());
        long seed = config.seed() + 1_000_003L * round.number();
        List<GeneratedSample> newSamples = policy().generate(texts, config.generation().withNumSamples(fromNew).withSeed(seed));
        List<GeneratedSample> oldSamples = List.of();
        if (fromPrevious > 0) {
            try (LoadedModel previous = ModelLoader.load(policyPath(round.base()), tokenizer, device)) {
                oldSamples = new Generator(new LlamaLanguageModel(previous.model()), previous.tokenizer())
                        .generate(texts, config.generation().withNumSamples(fromPrevious).withSeed(seed + 1));
            }
        }
        if (promoted) {
            labelerHealth(round.number(), newSamples);
        }
        for (int p = 0; p < chosen.size(); p++) {
            List<GeneratedResponse> responses = new ArrayList<>();
            for (int s = 0; s < fromNew; s++) {
                responses.add(response(newSamples.get(p * fromNew + s), config.generation(), newVersion));
            }
            for (int s = 0; s < fromPrevious; s++) {
                responses.add(response(oldSamples.get(p * fromPrevious + s), config.generation(), oldVersion));
            }
            ObjectNode prompt = chosen.get(p);
            publish(SamplesGenerated.newBuilder()
                    .setEventId(eventId("round", Integer.toString(round.number()), prompt.get("prompt_id").asString()))
                    .setProjectId(prompt.get("project_id").asString()).setPromptId(prompt.get("prompt_id").asString())
                    .setPolicyVersion(newVersion).setResponses(responses).build());
        }
        return chosen.size();
    }

    /**
     * The health of the samples a promoted version sends to labelers, as {@code health/labeler_...}
     * metrics of its step and {@code labeler-health.json} in its round (the KL estimate is unbiased only
     * at temperature 1 without filtering, the default).
     */
    private void labelerHealth(int version, List<GeneratedSample> samples) throws IOException {
        if (samples.isEmpty()) {
            return;
        }
        PolicyHealth h;
        try (LoadedModel sft = ModelLoader.load(basePolicy, tokenizer, device)) {
            policy(); // loads the current version
            h = HealthProbe.assess(samples, current, sft, null, 0);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        h.metrics().forEach((name, value) -> metrics.put(name.replace("health/", "health/labeler_"), value));
        healthMetrics.record(PolicyHealth.PHASE, version, metrics);
        AtomicFiles.write(roundDir(version).resolve("labeler-health.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(metrics));
    }

    private static GeneratedResponse response(GeneratedSample s, GenerationConfig g, String version) {
        return GeneratedResponse.newBuilder().setText(s.completion()).setLogprobSum(s.logprob())
                .setTokenCount(s.tokenIds().length).setPolicyVersion(version)
                .setGeneration(GenerationSettings.newBuilder().setMaxNewTokens(g.maxNewTokens())
                        .setTemperature((double) g.temperature()).setTopK(g.topK()).setTopP((double) g.topP())
                        .setSeed(g.seed()).build())
                .build();
    }

    private GenerationConfig generation(JsonNode settings, int k) {
        GenerationConfig g = config.generation().withNumSamples(k);
        if (settings.path("max_new_tokens").isNumber()) {
            g = g.withMaxNewTokens(settings.get("max_new_tokens").asInt());
        }
        if (settings.path("temperature").isNumber()) {
            g = g.withTemperature((float) settings.get("temperature").asDouble());
        }
        if (settings.path("top_k").isNumber()) {
            g = g.withTopK(settings.get("top_k").asInt());
        }
        if (settings.path("top_p").isNumber()) {
            g = g.withTopP((float) settings.get("top_p").asDouble());
        }
        return g;
    }

    /** The current policy's generator, loaded once per version. */
    private Generator policy() throws IOException {
        if (currentVersion != state.version()) {
            if (current != null) {
                current.close();
            }
            current = ModelLoader.load(policyPath(state.version()), tokenizer, device);
            currentVersion = state.version();
        }
        return new Generator(new LlamaLanguageModel(current.model()), current.tokenizer());
    }

    /** Deterministic event id: a repeated phase publishes the same ids, which consumers drop as duplicates. */
    static UUID eventId(String kind, String a, String b) {
        return UUID.nameUUIDFromBytes(("rlhf.trainer/" + kind + "/" + a + "/" + b).getBytes(StandardCharsets.UTF_8));
    }

    public static String versionName(int version) {
        return "v" + version;
    }

    private Path policyPath(int version) {
        return version == 0 ? basePolicy : policyDir(version);
    }

    public Path policyDir(int version) {
        return stateDir.resolve("policies").resolve(versionName(version));
    }

    private Path roundDir(int round) {
        return stateDir.resolve("rounds").resolve("round-" + round);
    }

    private Path rewardModelDir(int round) {
        return roundDir(round).resolve("reward").resolve("model");
    }

    /** Where v0's health lives (the SFT policy is not a directory of ours when given as a .bin file). */
    private Path healthDir(int version) {
        return version == 0 ? stateDir.resolve("health").resolve(versionName(0)) : policyDir(version);
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static String sci(double v) {
        return String.format(java.util.Locale.ROOT, "%.3g", v);
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    private static String fmt(Double v) {
        return v == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
        }
        store.close();
        requests.close();
    }
}
