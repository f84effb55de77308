package dev.rlhf.trainer.serve;

import static dev.rlhf.trainer.serve.StateLayout.versionName;
import static dev.rlhf.trainer.serve.VersionHealth.fmt;

import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.AtomicDirectory;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round of the loop, phase by phase ({@link LoopState.Phase}): reward model, policy (DPO, KTO or PPO,
 * copied atomically to {@code policies/v<N>}), health and promotion ({@link VersionHealth}), samples of
 * the new version for labelers. Each {@link #runPhase} saves the next phase, so a restart carries on
 * with the phase that was running.
 */
final class TrainingRound {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);

    private final StateLayout layout;
    private final PolicyVersions versions;
    private final LoopConfig config;
    private final OutboundEvents out;
    private final Intake intake;
    private final Sampling sampling;
    private final VersionHealth health;
    private final LoopStateFile state;

    TrainingRound(PolicyVersions versions, LoopConfig config, OutboundEvents out, Intake intake, Sampling sampling,
                  VersionHealth health, LoopStateFile state) {
        this.layout = versions.layout();
        this.versions = versions;
        this.config = config;
        this.out = out;
        this.intake = intake;
        this.sampling = sampling;
        this.health = health;
        this.state = state;
    }

    /** Starts a round on every ranking stored now, from the current version. */
    void start(String why) throws IOException {
        health.heldOutPrompts(); // fixed before the first round trains, so it never sees them
        LoopState now = state.current();
        int rankings = intake.store().size();
        long comparisons = intake.store().comparisons();
        LoopState.Round round = new LoopState.Round(now.lastRound() + 1, now.version(), rankings, comparisons,
                config.trainRewardModel() ? LoopState.Phase.REWARD : LoopState.Phase.POLICY, null);
        log.info("Round {} starts ({}): {} rankings, {} comparisons; {} from {}, reference {}{}", round.number(), why, rankings,
                comparisons, config.algorithm(), versionName(round.base()), config.reference() == LoopConfig.Reference.SFT
                        ? "v0 (SFT)" : versionName(round.base()),
                now.rejectedInARow() == 0 ? "" : " (" + now.rejectedInARow() + " rejected in a row: " + tightening() + ")");
        state.save(now.atRound(round));
    }

    /** Runs the phase of the round in progress and saves the next one (or the round's end). */
    void runPhase() throws IOException {
        LoopState.Round round = state.current().round();
        Path roundDir = layout.roundDir(round.number());
        MetricsSink metrics = MetricsSink.jsonl(layout.roundMetrics(round.number())).and(out.metrics("round-" + round.number()));
        long t0 = System.nanoTime();
        switch (round.phase()) {
            case REWARD -> {
                trainRewardModel(round, roundDir, metrics);
                state.save(state.current().atRound(round.withPhase(LoopState.Phase.POLICY)));
            }
            case POLICY -> {
                Path trained = trainPolicy(round, roundDir, metrics);
                Path published = layout.policyDir(round.number());
                AtomicDirectory.write(published, dir -> copyFiles(trained, dir));
                state.save(state.current().atRound(round.withPhase(LoopState.Phase.HEALTH)));
                log.info("Policy {} written to {}", versionName(round.number()), published);
            }
            case HEALTH -> {
                boolean promoted = health.check(round);
                LoopState now = state.current();
                LoopState next = promoted ? now.withVersion(round.number()).withRejectedInARow(0)
                        : now.withRejectedInARow(now.rejectedInARow() + 1);
                state.save(next.atRound(round.withPromoted(promoted).withPhase(LoopState.Phase.SAMPLES)));
            }
            case SAMPLES -> {
                boolean promoted = round.promoted() == null || round.promoted();
                int prompts = publishSamples(round, promoted);
                state.save(state.current().completed());
                log.info("Round {} done: {} prompts sampled from {}", round.number(), prompts, promoted
                        ? versionName(round.number()) + (config.comparePrevious() ? " and " + versionName(round.base()) : "")
                        : versionName(state.current().version()) + " (the current version: " + versionName(round.number())
                                + " was not promoted)");
            }
        }
        log.info("Round {}: {} phase took {} s", round.number(), round.phase(), (System.nanoTime() - t0) / 1_000_000_000L);
    }

    /** Training data of a round: its first rankings, less those of held-out probe prompts. */
    private List<RankedResponses> trainingData(LoopState.Round round) throws IOException {
        VersionHealth.HeldOut heldOut = health.heldOutPrompts();
        List<RankedResponses> data = intake.store().head(round.rankings(), sampling.template());
        if (!heldOut.excludedFromTraining()) {
            return data;
        }
        Set<String> probe = new HashSet<>(heldOut.prompts());
        return data.stream().filter(r -> !probe.contains(r.prompt())).toList();
    }

    private void trainRewardModel(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = trainingData(round);
        Path previous = layout.rewardModel(round.number() - 1);
        Path init = Files.isDirectory(previous) ? previous : layout.basePolicy();
        log.info("Round {}: reward model on {} rankings, warm-started from {}", round.number(), data.size(), init);
        try (LoadedModel model = versions.load(init)) {
            RewardTrainer.Result result = new RewardTrainer(model, config.reward().withSeed(config.seed() + round.number()), metrics)
                    .train(data, null, roundDir.resolve("reward"));
            log.info("Round {}: reward model trained ({} steps, loss {}, accuracy {}); held-out accuracy {} on {} pairs",
                    round.number(), result.steps(), fmt(result.lastLoss()), fmt(result.lastAccuracy()),
                    result.eval() == null ? "n/a" : fmt(result.eval().accuracy()), result.eval() == null ? 0 : result.eval().pairs());
        }
    }

    /** How the round after a rejection is made gentler. */
    private String tightening() {
        double factor = Math.pow(2, state.current().rejectedInARow());
        return switch (config.algorithm()) {
            case DPO -> "learning rate " + sci(config.dpo().learningRate() / factor);
            case KTO -> "learning rate " + sci(config.kto().learningRate() / factor);
            case PPO, RLOO, GRPO -> "KL coefficient " + sci(config.ppo().ppo().klCoef() * factor);
        };
    }

    private Path trainPolicy(LoopState.Round round, Path roundDir, MetricsSink metrics) throws IOException {
        List<RankedResponses> data = trainingData(round);
        Path policy = layout.policy(round.base());
        Path reference = config.reference() == LoopConfig.Reference.SFT ? layout.basePolicy() : policy;
        long seed = config.seed() + round.number();
        double gentler = Math.pow(2, state.current().rejectedInARow());
        if (config.algorithm() == LoopConfig.Algorithm.DPO) {
            List<RankedResponses.PreferencePair> pairs = new ArrayList<>();
            data.forEach(r -> pairs.addAll(r.pairs()));
            var dpo = config.dpo().withSeed(seed).withLearningRate(config.dpo().learningRate() / gentler);
            log.info("Round {}: DPO on {} pairs, policy from {}, reference {}, lr {}", round.number(), pairs.size(), policy,
                    reference, sci(dpo.learningRate()));
            try (LoadedModel model = versions.load(policy);
                 LoadedModel ref = reference.equals(policy) ? null : versions.load(reference)) {
                return new DpoTrainer(model, dpo, metrics).withReference(ref).train(pairs, roundDir.resolve("dpo")).model();
            }
        }
        if (config.algorithm() == LoopConfig.Algorithm.KTO) {
            return trainKto(round, roundDir, metrics, data, policy, reference, seed, gentler);
        }
        List<String> prompts = data.stream().map(RankedResponses::prompt).distinct().toList();
        Path ppoDir = roundDir.resolve("ppo");
        boolean resuming = Files.exists(ppoDir.resolve("resume"));
        var ppoConfig = config.ppo().ppo().withSeed(seed).withKlCoef(config.ppo().ppo().klCoef() * gentler)
                .withAdvantage(config.algorithm().advantage());
        Path rewardModel = layout.rewardModel(round.number());
        log.info("Round {}: {} on {} prompts, actor from {}, reference {}, reward model {}, KL coefficient {}{}", round.number(),
                config.algorithm(), prompts.size(), policy, reference, rewardModel, sci(ppoConfig.klCoef()),
                resuming ? " (resuming from its checkpoint)" : "");
        var run = config.ppo().withPpo(ppoConfig);
        try (PpoModels models = PpoModels.load(policy, reference, versions.tokenizer(), rewardModel, versions.device(),
                run.offloadFrozen(), run.ppo().miniBatchSize(), ppoConfig.advantage().needsCritic())) {
            PpoTrainer.Result result = new PpoTrainer(models, run, metrics).train(prompts, null, ppoDir, true);
            log.info("Round {}: PPO done ({} steps, {} rollouts; last objective/scores {}, objective/kl {})", round.number(),
                    result.steps(), result.rollouts(), fmt(result.lastMetrics().get("objective/scores")),
                    fmt(result.lastMetrics().get("objective/kl")));
            return result.model();
        }
    }

    /** KTO on the round's rankings unpaired as the kto export does ({@link KtoExample#unpaired}), anchored like DPO. */
    private Path trainKto(LoopState.Round round, Path roundDir, MetricsSink metrics, List<RankedResponses> data, Path policy,
                          Path reference, long seed, double gentler) throws IOException {
        List<KtoExample> examples = KtoExample.unpaired(data);
        var kto = config.kto().withSeed(seed).withLearningRate(config.kto().learningRate() / gentler);
        log.info("Round {}: KTO on {} examples {}, policy from {}, reference {}, lr {}", round.number(), examples.size(),
                KtoExample.counts(examples), policy, reference, sci(kto.learningRate()));
        try (LoadedModel model = versions.load(policy);
             LoadedModel ref = reference.equals(policy) ? null : versions.load(reference)) {
            return new KtoTrainer(model, kto, metrics).withReference(ref).train(examples, roundDir.resolve("kto")).model();
        }
    }

    /**
     * Samples the round's prompts and publishes them: for a promoted version ceil(K/2) responses of it
     * and floor(K/2) of the version it started from; for a rejected one, K of the current version.
     */
    private int publishSamples(LoopState.Round round, boolean promoted) throws IOException {
        List<Intake.Prompt> chosen = intake.recentPrompts(round.rankings(), config.promptsPerRound());
        int k = config.numSamples();
        int fromPrevious = promoted && config.comparePrevious() ? k / 2 : 0;
        int fromNew = k - fromPrevious;
        List<String> texts = chosen.stream().map(p -> sampling.render(p.conversation())).toList();
        String newVersion = versionName(promoted ? round.number() : state.current().version());
        String oldVersion = versionName(round.base());
        long seed = config.seed() + 1_000_003L * round.number();
        GenerationConfig generation = config.generation();
        List<GeneratedSample> newSamples = sampling.generate(texts, generation.withNumSamples(fromNew).withSeed(seed));
        List<GeneratedSample> oldSamples = fromPrevious == 0 ? List.of()
                : sampling.generate(round.base(), texts, generation.withNumSamples(fromPrevious).withSeed(seed + 1));
        if (promoted) {
            health.ofLabelerSamples(round.number(), newSamples);
        }
        for (int p = 0; p < chosen.size(); p++) {
            List<GeneratedResponse> responses = new ArrayList<>(
                    Sampling.responses(newSamples, p, fromNew, generation, newVersion));
            responses.addAll(Sampling.responses(oldSamples, p, fromPrevious, generation, oldVersion));
            Intake.Prompt prompt = chosen.get(p);
            sampling.publish(Sampling.samples(Sampling.eventId("round", Integer.toString(round.number()), prompt.promptId()),
                    prompt.projectId(), prompt.promptId(), newVersion, responses));
        }
        return chosen.size();
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
