package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.serve.InboundEvents;
import dev.rlhf.trainer.serve.LoopConfig;
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
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the Kafka-driven trainer service: rankings in, new policy versions and their samples out.",
            "Hyperparameters: the small-model values of --preset small (reward lr 1e-3, DPO lr 2e-4 and beta 0.1, PPO actor 2e-4 / "
                + "critic 1e-3 and KL coef 0.2); for billion-parameter models set the papers' values through --config (LoopConfig)."})
public class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "The SFT policy: version v0, and the reference of PPO's KL penalty.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer for models that do not carry one.")
    Path tokenizer;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "./data/trainer",
            description = "Preference store, policy versions, round checkpoints and the loop state (default ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--algorithm", paramLabel = "ppo|dpo", defaultValue = "dpo", description = "Policy optimisation of each round (default ${DEFAULT-VALUE}).")
    String algorithm;

    @Option(names = "--train-every", paramLabel = "N", description = "New comparisons that start a round (default 200).")
    Long trainEvery;

    @Option(names = "--skip-reward-model", description = "DPO only: do not fit the reward model in each round.")
    boolean skipRewardModel;

    @Option(names = "--num-samples", paramLabel = "K", description = "Responses per prompt after a round, and for requests that do not say (default 4).")
    Integer numSamples;

    @Option(names = "--no-compare-previous", description = "Sample only the new version after a round (by default half of each prompt's responses come from the previous version, for a head-to-head ranking).")
    boolean noComparePrevious;

    @Option(names = "--prompts-per-round", paramLabel = "N", description = "Most prompts sampled after a round (default 64).")
    Integer promptsPerRound;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per sampled response (default 48).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature of responses for labelers (default 1.0).")
    Float temperature;

    @Option(names = "--reward-steps", paramLabel = "N", description = "Reward-model optimizer steps per round (default 40).")
    Integer rewardSteps;

    @Option(names = "--policy-steps", paramLabel = "N", description = "PPO or DPO optimizer steps per round (default 24 for PPO, 16 for DPO).")
    Integer policySteps;

    @Option(names = "--reference", paramLabel = "sft|previous", defaultValue = "sft",
            description = "What every round's KL term is measured against (default ${DEFAULT-VALUE}): the SFT policy given with --model, "
                    + "or the previous version. 'previous' lets the KL to SFT grow without bound across rounds: a long-running loop "
                    + "can then optimise the labelers' proxy until the policy stops being language.")
    String reference;

    @Option(names = "--kl-budget", paramLabel = "NATS", description = "Guardrail: most KL to the SFT policy per response token of a "
            + "promoted version, on the held-out probe (default 0.25).")
    Double klBudget;

    @Option(names = "--min-distinct2", paramLabel = "X", description = "Guardrail: least distinct-2 of a promoted version, as a share "
            + "of v0's (default 0.8).")
    Double minDistinct2;

    @Option(names = "--max-repeat-rate", paramLabel = "X", description = "Guardrail: most share of samples with a repeated-word run, "
            + "above v0's (default 0.05).")
    Double maxRepeatRate;

    @Option(names = "--min-length", paramLabel = "X", description = "Guardrail: least mean length of a promoted version's samples, as a "
            + "share of v0's (default 0.5).")
    Double minLength;

    @Option(names = "--health-prompts", paramLabel = "FILE", description = "JSONL {\"prompt\": ...} lines: the fixed held-out prompts "
            + "every version's health is measured on (default: every 8th requested prompt, held out of training).")
    Path healthPrompts;

    @Option(names = "--health-samples", paramLabel = "N", description = "Samples per probe prompt for a version's health (default 8).")
    Integer healthSamples;

    @Option(names = "--idle-seconds", paramLabel = "S", description = "When labelers have ranked every task and no ranking came for this "
            + "long, train on the comparisons there are, or sample ranked prompts afresh when there are none (default 20).")
    Integer idleSeconds;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice (default 42).")
    Long seed;

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto", description = "Training device (default ${DEFAULT-VALUE}).")
    String device;

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

    @Option(names = "--config", paramLabel = "FILE", description = "JSON or properties file of these options; flags override it.")
    Path config;

    @Override
    public Integer call() throws Exception {
        LoopConfig loopConfig = loopConfig();
        Device target;
        try {
            target = Devices.select(device);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--device " + e.getMessage());
        }
        checkModel();
        List<String> healthPromptList = null;
        if (healthPrompts != null) {
            if (!Files.isRegularFile(healthPrompts)) {
                throw new BadInputException("--health-prompts " + healthPrompts + ": file not found");
            }
            try {
                healthPromptList = PromptFile.read(healthPrompts, CliModels.chatTemplate(model, tokenizer));
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
        TrainingLoop loop = new TrainingLoop(stateDir, model, tokenizer, target, loopConfig, out, healthPromptList);
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

    private LoopConfig loopConfig() {
        LoopConfig c = LoopConfig.defaults();
        try {
            c = c.withAlgorithm(LoopConfig.Algorithm.parse(algorithm));
            if (trainEvery != null) {
                c = c.withTrainEvery(trainEvery);
            }
            if (skipRewardModel) {
                c = c.withTrainRewardModel(false);
            }
            if (numSamples != null) {
                c = c.withNumSamples(numSamples);
            }
            if (noComparePrevious) {
                c = c.withComparePrevious(false);
            }
            if (promptsPerRound != null) {
                c = c.withPromptsPerRound(promptsPerRound);
            }
            if (maxNewTokens != null) {
                c = c.withGeneration(c.generation().withMaxNewTokens(maxNewTokens));
            }
            if (temperature != null) {
                c = c.withGeneration(c.generation().withTemperature(temperature));
            }
            if (rewardSteps != null) {
                c = c.withReward(c.reward().withMaxSteps(rewardSteps));
            }
            if (policySteps != null) {
                c = c.withDpo(c.dpo().withMaxSteps(policySteps)).withPpo(c.ppo().withMaxSteps(policySteps));
            }
            c = c.withReference(LoopConfig.Reference.parse(reference));
            var guard = c.guardrails();
            guard = new dev.rlhf.trainer.health.Guardrails(klBudget != null ? klBudget : guard.klBudget(),
                    minDistinct2 != null ? minDistinct2 : guard.minDistinct2(), maxRepeatRate != null ? maxRepeatRate : guard.maxRepeatRate(),
                    minLength != null ? minLength : guard.minLength());
            c = c.withGuardrails(guard);
            if (healthSamples != null) {
                c = c.withHealthSamplesPerPrompt(healthSamples);
            }
            if (idleSeconds != null) {
                c = c.withIdleSeconds(idleSeconds);
            }
            if (seed != null) {
                c = c.withSeed(seed);
            }
            return c;
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--" + e.getMessage());
        }
    }

    /** Load the model once up front, so a wrong path fails with one line before anything connects. */
    private void checkModel() {
        if (!Files.exists(model)) {
            throw new BadInputException("--model " + model + ": no such file or directory. For the demo, get stories260K.bin and "
                    + "tok512.bin from the llama2.c project (Hugging Face hub: karpathy/tinyllamas, folder stories260K) and pass "
                    + "--model stories260K.bin --tokenizer tok512.bin; any Hugging Face Llama directory works too");
        }
        try (LoadedModel ignored = ModelLoader.load(model, tokenizer, Device.cpu())) {
            // loads and closes: the loop loads it again where it needs it
        } catch (CheckpointException e) {
            throw new BadInputException("--model " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new BadInputException("--model " + model + ": " + e.getMessage(), e);
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
