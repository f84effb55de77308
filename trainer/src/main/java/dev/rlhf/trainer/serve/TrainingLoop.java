package dev.rlhf.trainer.serve;

import ai.djl.Device;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.AtomicDirectory;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The closed loop of {@code trainer serve}. The Kafka consumer thread hands every ranking and sample
 * request to {@link #onRanking} and {@link #onSampleRequest}, which store it durably before the
 * offset is committed. One worker thread ({@link #run}) does all model work, in this order:
 * <ol>
 *   <li>answers new sample requests with K samples of the current policy;</li>
 *   <li>when {@code trainEvery} new comparisons have arrived, runs a round on everything stored: fits
 *       the reward model (warm-started from the previous round's) and evaluates it on held-out
 *       prompts; improves the policy with PPO (actor from the current policy, reference the SFT
 *       model given with --model, critic and reward from the new reward model) or DPO; writes the new
 *       version to {@code policies/v<N>} atomically; then samples K responses for the most recently
 *       ranked prompts, half from the new version and half from the previous one so labelers rank
 *       them head to head, and publishes them.</li>
 * </ol>
 * Every phase boundary is recorded in {@link LoopState}; a restart continues with the phase that
 * was running (PPO from its last rollout checkpoint). Samples carry event ids derived from the
 * round and prompt, so a phase repeated after a crash publishes duplicates that consumers drop.
 */
public final class TrainingLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static final String REQUESTS_FILE = "sample-requests.jsonl";

    private final Path stateDir;
    private final Path basePolicy;
    private final Path tokenizer;
    private final Device device;
    private final LoopConfig config;
    private final OutboundEvents out;
    private final PreferenceStore store;
    private final DurableLog requests;
    private LoopState state;
    private volatile boolean stopping;

    /** The current policy, loaded for sampling; replaced when a round publishes a new version. */
    private LoadedModel current;
    private int currentVersion = -1;

    public TrainingLoop(Path stateDir, Path basePolicy, Path tokenizer, Device device, LoopConfig config, OutboundEvents out)
            throws IOException {
        this.stateDir = stateDir;
        this.basePolicy = basePolicy;
        this.tokenizer = tokenizer;
        this.device = device;
        this.config = config;
        this.out = out;
        Files.createDirectories(stateDir);
        this.store = new PreferenceStore(stateDir);
        this.requests = new DurableLog(stateDir.resolve(REQUESTS_FILE));
        this.state = LoopState.read(stateDir);
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
        line.put("prompt", promptText(request.getPrompt()));
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

    /** A conversation as one text, the way the annotation app renders it into RankingSubmitted.prompt. */
    static String promptText(List<Turn> turns) {
        if (turns.size() == 1 && turns.getFirst().getRole().equals("user")) {
            return turns.getFirst().getContent();
        }
        return turns.stream().map(t -> "\n\n" + switch (t.getRole()) {
            case "user" -> "Human";
            case "assistant" -> "Assistant";
            default -> "System";
        } + ": " + t.getContent()).collect(Collectors.joining());
    }

    // ------------------------------------------------------------ worker thread

    /** Runs until {@link #stop()}: answers sample requests and runs rounds when due. */
    public void run() {
        Devices.noGradOnThisThread();
        while (!stopping) {
            try {
                if (state.round() != null) {
                    continueRound();
                } else if (state.requestsAnswered() < requests.size()) {
                    answerRequests();
                } else if (store.comparisons() - state.comparisonsTrained() >= config.trainEvery()) {
                    startRound();
                } else {
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
        List<String> prompts = batch.stream().map(r -> r.get("prompt").asString()).toList();
        long t0 = System.nanoTime();
        List<GeneratedSample> samples = policy().generate(prompts, generation);
        for (int p = 0; p < batch.size(); p++) {
            ObjectNode r = batch.get(p);
            List<GeneratedResponse> responses = new ArrayList<>();
            for (int s = 0; s < generation.numSamples(); s++) {
                responses.add(response(samples.get(p * generation.numSamples() + s), generation, null));
            }
            out.samples(SamplesGenerated.newBuilder()
                    .setEventId(eventId("request", r.get(DurableLog.ID).asString(), version))
                    .setProjectId(r.get("project_id").asString()).setPromptId(r.get("prompt_id").asString())
                    .setPolicyVersion(version).setResponses(responses).build());
        }
        save(state.withRequestsAnswered(from + batch.size()));
        log.info("Answered {} sample request(s) with {} samples each from policy {} in {} ms ({} of {} answered)",
                batch.size(), generation.numSamples(), version, (System.nanoTime() - t0) / 1_000_000,
                state.requestsAnswered(), requests.size());
    }

    private void startRound() throws IOException {
        int rankings = store.size();
        long comparisons = store.comparisons();
        LoopState.Round round = new LoopState.Round(state.version() + 1, rankings, comparisons,
                config.trainRewardModel() ? LoopState.Phase.REWARD : LoopState.Phase.POLICY);
        log.info("Round {} starts: {} rankings, {} comparisons ({} new since the last round); {}",
                round.number(), rankings, comparisons, comparisons - state.comparisonsTrained(), config.algorithm());
        save(state.withRound(round));
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
                save(state.withVersion(round.number()).withRound(round.next(LoopState.Phase.SAMPLES)));
                log.info("Policy {} written to {}", versionName(round.number()), published);
            }
            case SAMPLES -> {
                int prompts = publishRoundSamples(round);
                save(state.completed());
                log.info("Round {} done: {} prompts sampled from {}{}", round.number(), prompts, versionName(round.number()),
                        config.comparePrevious() ? " and " + versionName(round.number() - 1) : "");
            }
        }
        log.info("Round {}: {} phase took {} s", round.number(), round.phase(), (System.nanoTime() - t0) / 1_000_000_000L);
    }

    private void trainRewardModel(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = store.head(round.rankings());
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

    private Path trainPolicy(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = store.head(round.rankings());
        Path policy = policyPath(round.number() - 1);
        long seed = config.seed() + round.number();
        if (config.algorithm() == LoopConfig.Algorithm.DPO) {
            List<RankedResponses.PreferencePair> pairs = new ArrayList<>();
            data.forEach(r -> pairs.addAll(r.pairs()));
            log.info("Round {}: DPO on {} pairs from {}", round.number(), pairs.size(), policy);
            try (LoadedModel model = ModelLoader.load(policy, tokenizer, device)) {
                return new DpoTrainer(model, config.dpo().withSeed(seed), metrics).train(pairs, roundDir.resolve("dpo")).model();
            }
        }
        List<String> prompts = data.stream().map(RankedResponses::prompt).distinct().toList();
        Path ppoDir = roundDir.resolve("ppo");
        boolean resuming = Files.exists(ppoDir.resolve("resume"));
        log.info("Round {}: PPO on {} prompts, actor from {}, reference {}, reward model {}{}", round.number(), prompts.size(),
                policy, basePolicy, rewardModelDir(round.number()), resuming ? " (resuming from its checkpoint)" : "");
        var run = config.ppo().withPpo(config.ppo().ppo().withSeed(seed));
        try (PpoModels models = PpoModels.load(policy, basePolicy, tokenizer, rewardModelDir(round.number()), device,
                run.offloadFrozen(), run.ppo().miniBatchSize())) {
            PpoTrainer.Result result = new PpoTrainer(models, run, metrics).train(prompts, null, ppoDir, true);
            log.info("Round {}: PPO done ({} steps, {} rollouts; last objective/scores {}, objective/kl {})", round.number(),
                    result.steps(), result.rollouts(), fmt(result.lastMetrics().get("objective/scores")),
                    fmt(result.lastMetrics().get("objective/kl")));
            return result.model();
        }
    }

    /**
     * Samples the round's prompts (the most recently ranked first, then requested ones never ranked)
     * and publishes them: ceil(K/2) responses of the new version and floor(K/2) of the previous one.
     */
    private int publishRoundSamples(LoopState.Round round) throws IOException {
        Map<String, ObjectNode> prompts = new LinkedHashMap<>();
        List<ObjectNode> ranked = store.lines(round.rankings());
        for (ObjectNode line : ranked.reversed()) {
            prompts.putIfAbsent(line.get("prompt_id").asString(), line);
        }
        for (ObjectNode request : requests.head(requests.size())) {
            prompts.putIfAbsent(request.get("prompt_id").asString(), request);
        }
        List<ObjectNode> chosen = prompts.values().stream().limit(config.promptsPerRound()).toList();
        int k = config.numSamples();
        int fromPrevious = config.comparePrevious() ? k / 2 : 0;
        int fromNew = k - fromPrevious;
        List<String> texts = chosen.stream().map(p -> p.get("prompt").asString()).toList();
        String newVersion = versionName(round.number());
        String oldVersion = versionName(round.number() - 1);
        long seed = config.seed() + 1_000_003L * round.number();
        List<GeneratedSample> newSamples = policy().generate(texts, config.generation().withNumSamples(fromNew).withSeed(seed));
        List<GeneratedSample> oldSamples = List.of();
        if (fromPrevious > 0) {
            try (LoadedModel previous = ModelLoader.load(policyPath(round.number() - 1), tokenizer, device)) {
                oldSamples = new Generator(new LlamaLanguageModel(previous.model()), previous.tokenizer())
                        .generate(texts, config.generation().withNumSamples(fromPrevious).withSeed(seed + 1));
            }
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
            out.samples(SamplesGenerated.newBuilder()
                    .setEventId(eventId("round", Integer.toString(round.number()), prompt.get("prompt_id").asString()))
                    .setProjectId(prompt.get("project_id").asString()).setPromptId(prompt.get("prompt_id").asString())
                    .setPolicyVersion(newVersion).setResponses(responses).build());
        }
        return chosen.size();
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

    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
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
