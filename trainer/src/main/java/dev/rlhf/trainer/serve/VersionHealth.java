package dev.rlhf.trainer.serve;

import static dev.rlhf.trainer.serve.StateLayout.versionName;

import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.health.Guardrails;
import dev.rlhf.trainer.health.HealthProbe;
import dev.rlhf.trainer.health.PolicyHealth;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A version's {@link PolicyHealth} against the SFT policy's on fixed probe prompts, and the
 * {@link Guardrails} decision whether to promote it: {@code health.json} beside its weights and
 * {@code health/...} metrics (phase {@code health}, step = the version).
 */
final class VersionHealth {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Held out of training when no --health-prompts are given: requested prompts whose id hashes to 0 mod this. */
    static final int HOLDOUT_MODULUS = 8;

    /** The probe prompts and whether they are kept out of training (they are, unless given with --health-prompts). */
    record HeldOut(List<String> prompts, boolean excludedFromTraining) {}

    private final StateLayout layout;
    private final PolicyVersions versions;
    private final LoopConfig config;
    private final Intake intake;
    private final Sampling sampling;
    /** The probe prompts given with --health-prompts, or null to hold out some of the requested prompts. */
    private final List<String> givenHealthPrompts;
    private final MetricsSink metrics;

    private HeldOut heldOut;
    /** The SFT policy's health and samples on the probe prompts, measured at the first health check of this start. */
    private HealthProbe.Result sftProbe;

    VersionHealth(PolicyVersions versions, LoopConfig config, Intake intake, Sampling sampling, List<String> givenHealthPrompts,
                  MetricsSink metrics) {
        this.layout = versions.layout();
        this.versions = versions;
        this.config = config;
        this.intake = intake;
        this.sampling = sampling;
        this.givenHealthPrompts = givenHealthPrompts == null ? null : List.copyOf(givenHealthPrompts);
        this.metrics = metrics;
    }

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
        Path file = layout.healthPrompts();
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
            SampleRequests requests = intake.requests();
            for (SampleRequest r : requests.head(requests.size())) {
                byId.computeIfAbsent(r.promptId(), id -> sampling.render(r.messages()));
            }
            List<String> held = byId.entrySet().stream().filter(e -> Math.floorMod(e.getKey().hashCode(), HOLDOUT_MODULUS) == 0)
                    .map(Map.Entry::getValue).distinct().limit(config.healthMaxPrompts()).toList();
            if (!held.isEmpty()) {
                heldOut = new HeldOut(held, true);
            } else {
                List<String> any = byId.values().stream().distinct().limit(config.healthMaxPrompts()).toList();
                if (any.isEmpty()) {
                    PreferenceStore store = intake.store();
                    any = store.head(store.size(), sampling.template()).stream().map(RankedResponses::prompt).distinct()
                            .limit(config.healthMaxPrompts()).toList();
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
    boolean check(LoopState.Round round) throws IOException {
        List<String> prompts = heldOutPrompts().prompts();
        long seed = config.seed() + 31;
        int maxNew = config.generation().maxNewTokens();
        Path rewardDir = layout.rewardModel(round.number());
        boolean scored = Files.isDirectory(rewardDir);
        long t0 = System.nanoTime();
        PolicyHealth sftHealth;
        PolicyHealth health;
        try (LoadedModel sft = versions.sft();
             LoadedModel candidate = versions.load(round.number());
             LoadedModel reward = scored ? versions.load(rewardDir) : null) {
            int rewardLength = reward == null ? 0 : ValueHeadRewardSource.trainedMaxLength(rewardDir, reward.model());
            if (sftProbe == null) { // v0 is measured once per start: the same prompts and seed give the same samples
                sftProbe = HealthProbe.measure(sft, sft, null, rewardLength, prompts, config.healthSamplesPerPrompt(), maxNew, seed);
                writeSamples(layout.probeSamples(0), sftProbe.samples(), 0);
            }
            sftHealth = reward == null ? sftProbe.health() : sftProbe.health().withScore(HealthProbe.meanScore(reward, rewardLength,
                    sftProbe.samples()));
            HealthProbe.Result result = HealthProbe.measure(candidate, sft, reward, rewardLength, prompts,
                    config.healthSamplesPerPrompt(), maxNew, seed);
            health = result.health();
            writeSamples(layout.probeSamples(round.number()), result.samples(), round.number());
        }
        Guardrails guard = config.guardrails();
        Map<String, String> broken = guard.broken(health, sftHealth);
        boolean promoted = broken.isEmpty();

        // v0 once (its score under this round's reward model is in health/score_sft of the version below).
        if (!Files.exists(layout.health(0))) {
            write(0, sftProbe.health(), guard, sftProbe.health(), Map.of(), true);
        }
        write(round.number(), health, guard, sftHealth, broken, promoted);
        log.info("Round {}: {} health on {} samples of {} held-out prompts ({} s): KL to SFT {} nats/token ({} per sample), "
                        + "distinct-2 {} (v0 {}), repeated-word runs {} (v0 {}), length {} (v0 {}), reward {} (v0 {}): {}",
                round.number(), versionName(round.number()), health.samples(), prompts.size(), (System.nanoTime() - t0) / 1_000_000_000L,
                fmt(health.klToSft()), fmt(health.klToSftSeq()), fmt(health.distinct2()), fmt(sftHealth.distinct2()),
                fmt(health.repeatRate()), fmt(sftHealth.repeatRate()), fmt(health.length()), fmt(sftHealth.length()),
                fmt(health.score()), fmt(sftHealth.score()),
                promoted ? "PROMOTED" : "NOT PROMOTED: " + String.join("; ", broken.values()));
        return promoted;
    }

    private void write(int version, PolicyHealth health, Guardrails guard, PolicyHealth sft,
                       Map<String, String> broken, boolean promoted) throws IOException {
        Map<String, Double> values = new LinkedHashMap<>(health.metrics());
        if (version > 0 && sft.score() != null) {
            values.put("health/score_sft", sft.score());
        }
        values.put("health/promoted", promoted ? 1.0 : 0.0);
        guard.limits(sft).forEach((name, limit) -> values.put("limit/" + name, limit));
        broken.keySet().forEach(name -> values.put("guard/" + name, 1.0));
        metrics.record(PolicyHealth.PHASE, version, values);

        ObjectNode json = JSON.createObjectNode();
        json.put("version", versionName(version));
        json.put("promoted", promoted);
        ObjectNode reasons = json.putObject("rejected_because");
        broken.forEach(reasons::put);
        ObjectNode metricValues = json.putObject("metrics");
        values.forEach(metricValues::put);
        Path file = layout.health(version);
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }

    /**
     * The health of the samples a promoted version sends to labelers, as {@code health/labeler_...}
     * metrics of its step and {@code labeler-health.json} in its round (the KL estimate is unbiased only
     * at temperature 1 without filtering, the default).
     */
    void ofLabelerSamples(int version, List<GeneratedSample> samples) throws IOException {
        if (samples.isEmpty()) {
            return;
        }
        PolicyHealth h;
        try (LoadedModel sft = versions.sft()) {
            h = HealthProbe.assess(samples, sampling.currentModel(), sft, null, 0);
        }
        Map<String, Double> values = new LinkedHashMap<>();
        h.metrics().forEach((name, value) -> values.put(name.replace("health/", "health/labeler_"), value));
        metrics.record(PolicyHealth.PHASE, version, values);
        AtomicFiles.write(layout.roundDir(version).resolve("labeler-health.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(values));
    }

    private static void writeSamples(Path file, List<GeneratedSample> samples, int version) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (GeneratedSample s : samples) {
            ObjectNode line = JSON.createObjectNode();
            line.put("version", versionName(version));
            line.put("prompt", s.prompt());
            line.put("completion", s.completion());
            line.put("tokens", s.tokenIds().length);
            line.put("finish", s.finishReason().name().toLowerCase(Locale.ROOT));
            lines.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, lines.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String fmt(Double v) {
        return v == null ? "n/a" : fmt(v.doubleValue());
    }
}
