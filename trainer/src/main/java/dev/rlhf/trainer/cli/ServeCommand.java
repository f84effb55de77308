package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.serve.InboundEvents;
import dev.rlhf.trainer.serve.LoopConfig;
import dev.rlhf.trainer.serve.LoopConfigBuilder;
import dev.rlhf.trainer.generation.GenerationConfigBuilder;
import dev.rlhf.trainer.health.GuardrailsBuilder;
import dev.rlhf.trainer.serve.OutboundEvents;
import dev.rlhf.trainer.serve.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code trainer serve}: the Kafka-driven trainer service that closes the loop. Consumes rankings
 * and sample requests in a consumer group, storing each durably before its offset is committed
 * (undecodable records go to the dead-letter topics); answers sample requests with the current
 * policy; every {@code --train-every} new comparisons fits the reward model, runs PPO or DPO,
 * writes a new policy version and publishes its samples for the next round of ranking; publishes
 * trainer metrics throughout. State lives in {@code --state-dir}; a restart, kill -9 included,
 * continues where it stopped. See {@link TrainingLoop}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = {"Run the Kafka-driven trainer service: rankings in, new policy versions and their samples out.",
            "--model is the SFT policy: version v0, and the reference of PPO's KL penalty.",
            "Hyperparameters: the small-model values of --preset small (reward lr ${bundle:default.LoopConfig.reward.learningRate}, "
                + "DPO lr ${bundle:default.LoopConfig.dpo.learningRate} and beta ${bundle:default.LoopConfig.dpo.beta}, "
                + "PPO actor ${bundle:default.LoopConfig.ppo.ppo.actorLearningRate} / critic ${bundle:default.LoopConfig.ppo.ppo.criticLearningRate} "
                + "and KL coef ${bundle:default.LoopConfig.ppo.ppo.klCoef}); for billion-parameter models set the papers' values "
                + "through --config (LoopConfig)."})
public class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "./data/trainer",
            description = "Preference store, policy versions, round checkpoints and the loop state (default ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--algorithm", paramLabel = "dpo|ppo|kto|rloo|grpo", description = "Policy optimisation of each round: dpo, kto (from the rankings unpaired), or a PPO round with GAE (ppo), RLOO (rloo) or GRPO (grpo) advantages (default ${bundle:default.LoopConfig.algorithm}).")
    String algorithm;

    @Option(names = "--train-every", paramLabel = "N", description = "New comparisons that start a round (default ${bundle:default.LoopConfig.trainEvery}).")
    Long trainEvery;

    @Option(names = "--skip-reward-model", description = "DPO and KTO only: do not fit the reward model in each round.")
    boolean skipRewardModel;

    @Option(names = "--num-samples", paramLabel = "K", description = "Responses per prompt after a round, and for requests that do not say (default ${bundle:default.LoopConfig.numSamples}).")
    Integer numSamples;

    @Option(names = "--no-compare-previous", description = "Sample only the new version after a round (by default half of each prompt's responses come from the previous version, for a head-to-head ranking).")
    boolean noComparePrevious;

    @Option(names = "--prompts-per-round", paramLabel = "N", description = "Most prompts sampled after a round (default ${bundle:default.LoopConfig.promptsPerRound}).")
    Integer promptsPerRound;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per sampled response (default ${bundle:default.LoopConfig.generation.maxNewTokens}).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature of responses for labelers (default ${bundle:default.LoopConfig.generation.temperature}).")
    Float temperature;

    @Option(names = "--reward-steps", paramLabel = "N", description = "Reward-model optimizer steps per round (default ${bundle:default.LoopConfig.reward.maxSteps}).")
    Integer rewardSteps;

    @Option(names = "--policy-steps", paramLabel = "N", description = "PPO, DPO or KTO optimizer steps per round (default ${bundle:default.LoopConfig.ppo.maxSteps} for PPO, ${bundle:default.LoopConfig.dpo.maxSteps} for DPO, ${bundle:default.LoopConfig.kto.maxSteps} for KTO).")
    Integer policySteps;

    @Option(names = "--reference", paramLabel = "sft|previous",
            description = "What every round's KL term is measured against (default ${bundle:default.LoopConfig.reference}): the SFT policy given with --model, "
                    + "or the previous version. 'previous' lets the KL to SFT grow without bound across rounds: a long-running loop "
                    + "can then optimise the labelers' proxy until the policy stops being language.")
    String reference;

    @Option(names = "--kl-budget", paramLabel = "NATS", description = "Guardrail: most KL to the SFT policy per response token of a "
            + "promoted version, on the held-out probe (default ${bundle:default.LoopConfig.guardrails.klBudget}).")
    Double klBudget;

    @Option(names = "--min-distinct2", paramLabel = "X", description = "Guardrail: least distinct-2 of a promoted version, as a share "
            + "of v0's (default ${bundle:default.LoopConfig.guardrails.minDistinct2}).")
    Double minDistinct2;

    @Option(names = "--max-repeat-rate", paramLabel = "X", description = "Guardrail: most share of samples with a repeated-word run, "
            + "above v0's (default ${bundle:default.LoopConfig.guardrails.maxRepeatRate}).")
    Double maxRepeatRate;

    @Option(names = "--min-length", paramLabel = "X", description = "Guardrail: least mean length of a promoted version's samples, as a "
            + "share of v0's (default ${bundle:default.LoopConfig.guardrails.minLength}).")
    Double minLength;

    @Option(names = "--health-prompts", paramLabel = "FILE", description = "JSONL {\"prompt\": ...} lines: the fixed held-out prompts "
            + "every version's health is measured on (default: every 8th requested prompt, held out of training).")
    Path healthPrompts;

    @Option(names = "--health-samples", paramLabel = "N", description = "Samples per probe prompt for a version's health (default ${bundle:default.LoopConfig.healthSamplesPerPrompt}).")
    Integer healthSamples;

    @Option(names = "--idle-seconds", paramLabel = "S", description = "When labelers have ranked every task and no ranking came for this "
            + "long, train on the comparisons there are, or sample ranked prompts afresh when there are none (default ${bundle:default.LoopConfig.idleSeconds}).")
    Integer idleSeconds;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice (default ${bundle:default.LoopConfig.seed}).")
    Long seed;

    @Mixin
    DeviceOption device;

    @Option(names = "--group-id", defaultValue = "rlhf-trainer", description = "Consumer group (default ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--rankings-topic", defaultValue = Topics.RANKINGS, description = "Topic of RankingSubmitted events (default ${DEFAULT-VALUE}).")
    String rankingsTopic;

    @Option(names = "--sample-requests-topic", defaultValue = Topics.SAMPLE_REQUESTS, description = "Topic of SampleRequested events (default ${DEFAULT-VALUE}).")
    String sampleRequestsTopic;

    @Option(names = "--samples-topic", defaultValue = Topics.SAMPLES, description = "Topic for SamplesGenerated events (default ${DEFAULT-VALUE}).")
    String samplesTopic;

    @Option(names = "--metrics-topic", defaultValue = Topics.TRAINER_METRICS, description = "Topic for TrainerMetric events (default ${DEFAULT-VALUE}).")
    String metricsTopic;

    @Option(names = "--connect-timeout", defaultValue = "15", description = "Seconds to wait for the broker at start (default ${DEFAULT-VALUE}).")
    int connectTimeoutSeconds;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws Exception {
        LoopConfig loopConfig = loopConfig();
        Device target = device.device();
        checkModel();
        List<String> healthPromptList = null;
        if (healthPrompts != null) {
            if (!Files.isRegularFile(healthPrompts)) {
                throw new BadInputException("--health-prompts " + healthPrompts + ": file not found");
            }
            try {
                healthPromptList = PromptFile.read(healthPrompts, modelOptions.chatTemplate());
            } catch (java.io.IOException e) {
                throw new BadInputException("--health-prompts " + healthPrompts + ": " + e.getMessage(), e);
            }
            if (healthPromptList.isEmpty()) {
                throw new BadInputException("--health-prompts " + healthPrompts + ": no prompts in the file");
            }
        }
        requireBroker();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicReference<Throwable> workerFailure = new AtomicReference<>();
        OutboundEvents out = new OutboundEvents(bootstrapServers, samplesTopic, metricsTopic);
        TrainingLoop loop = new TrainingLoop(stateDir, modelOptions.model, modelOptions.tokenizer, target, loopConfig, out, healthPromptList);
        Thread worker = null;
        try (InboundEvents in = new InboundEvents(bootstrapServers, groupId)
                .on(rankingsTopic, RankingSubmitted.class, loop::onRanking)
                .on(sampleRequestsTopic, SampleRequested.class, loop::onSampleRequest)
                .beforeCommit(loop::sync)) {
            worker = Thread.ofPlatform().name("trainer-loop").daemon().start(() -> {
                try {
                    loop.run();
                } catch (Throwable e) {
                    log.error("The training loop failed: {}", e.toString(), e);
                    workerFailure.set(e);
                    in.wakeup();
                }
            });
            Thread hook = new Thread(() -> {
                loop.stop();
                in.wakeup();
                try {
                    stopped.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "trainer-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            log.info("Trainer service connected to Kafka at {}; consuming {} and {} as group {}; {} every {} comparisons; state in {}",
                    bootstrapServers, rankingsTopic, sampleRequestsTopic, groupId, loopConfig.algorithm(), loopConfig.trainEvery(),
                    stateDir.toAbsolutePath());
            in.run();
        } finally {
            loop.stop();
            if (worker != null) {
                worker.join(5_000);
            }
            // A round in progress is not waited for: its state is saved at every phase boundary and PPO
            // checkpoints each rollout, so the next start carries on. Its models stay open until exit.
            if (worker == null || !worker.isAlive()) {
                loop.close();
            }
            out.close();
            log.info("Trainer service stopped: {} rankings stored, policy v{}{}", loop.store().size(), loop.state().version(),
                    loop.state().round() == null ? "" : "; round " + loop.state().round().number() + " continues at the next start");
            stopped.countDown();
        }
        return workerFailure.get() == null ? 0 : 1;
    }

    /** The loop's config: {@link LoopConfig#defaults()}, with every option given overriding its own. */
    LoopConfig loopConfig() {
        LoopConfig d = LoopConfig.defaults();
        return Overlay.build(() -> {
            LoopConfigBuilder c = LoopConfigBuilder.builder(d);
            Overlay.set(algorithm, v -> c.algorithm(LoopConfig.Algorithm.parse(v)));
            Overlay.set(trainEvery, c::trainEvery);
            if (skipRewardModel) {
                c.trainRewardModel(false);
            }
            Overlay.set(numSamples, c::numSamples);
            if (noComparePrevious) {
                c.comparePrevious(false);
            }
            Overlay.set(promptsPerRound, c::promptsPerRound);
            GenerationConfigBuilder generation = GenerationConfigBuilder.builder(d.generation());
            Overlay.set(maxNewTokens, generation::maxNewTokens);
            Overlay.set(temperature, generation::temperature);
            c.generation(generation.build());
            Overlay.set(rewardSteps, v -> c.reward(d.reward().withMaxSteps(v)));
            Overlay.set(policySteps, v -> c.dpo(d.dpo().withMaxSteps(v)).kto(d.kto().withMaxSteps(v)).ppo(d.ppo().withMaxSteps(v)));
            Overlay.set(reference, v -> c.reference(LoopConfig.Reference.parse(v)));
            GuardrailsBuilder guard = GuardrailsBuilder.builder(d.guardrails());
            Overlay.set(klBudget, guard::klBudget);
            Overlay.set(minDistinct2, guard::minDistinct2);
            Overlay.set(maxRepeatRate, guard::maxRepeatRate);
            Overlay.set(minLength, guard::minLength);
            c.guardrails(guard.build());
            Overlay.set(healthSamples, c::healthSamplesPerPrompt);
            Overlay.set(idleSeconds, c::idleSeconds);
            Overlay.set(seed, c::seed);
            return c.build();
        });
    }

    /** Load the model once up front, so a wrong path fails with one line before anything connects. */
    private void checkModel() {
        if (!Files.exists(modelOptions.model)) {
            throw new BadInputException("--model " + modelOptions.model + ": no such file or directory. For the demo, get stories260K.bin and "
                    + "tok512.bin from the llama2.c project (Hugging Face hub: karpathy/tinyllamas, folder stories260K) and pass "
                    + "--model stories260K.bin --tokenizer tok512.bin; any Hugging Face Llama directory works too");
        }
        try (LoadedModel ignored = ModelLoader.load(modelOptions.model, modelOptions.tokenizer, Device.cpu())) {
            // loads and closes: the loop loads it again where it needs it
        } catch (CheckpointException e) {
            throw new BadInputException("--model " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new BadInputException("--model " + modelOptions.model + ": " + e.getMessage(), e);
        }
    }

    /** Fail fast, with one line, when the broker is not there, instead of retrying silently forever. */
    private void requireBroker() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, connectTimeoutSeconds * 1000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, connectTimeoutSeconds * 1000);
        try (AdminClient admin = AdminClient.create(p)) {
            admin.describeCluster().nodes().get(connectTimeoutSeconds, TimeUnit.SECONDS);
            var topics = admin.listTopics().names().get(connectTimeoutSeconds, TimeUnit.SECONDS);
            for (String topic : new String[] {rankingsTopic, sampleRequestsTopic, samplesTopic}) {
                if (!topics.contains(topic)) {
                    log.warn("Topic {} does not exist yet on {}; the annotation app creates it at start-up", topic, bootstrapServers);
                }
            }
        } catch (Exception e) {
            throw new BadInputException("cannot reach Kafka at " + bootstrapServers + " within " + connectTimeoutSeconds
                    + " s: start the annotation app (it runs the in-process broker) or pass --bootstrap-servers HOST:PORT");
        }
    }
}
