package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.events.TrainerMetric;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The guardrails in the running loop: a deliberately aggressive DPO learning rate makes a version
 * that drifts far from the SFT policy; it is not promoted, labelers get samples of the last healthy
 * version instead, its rejection is published and written beside it, and the next round starts
 * again from the last healthy version with half the learning rate. Also the small-project case:
 * rankings short of --train-every still start a round once labelers have ranked every task.
 */
class GuardrailLoopTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int PROMPTS = 6;

    @TempDir
    static Path temp;
    static EmbeddedKafkaBroker broker;
    static String prefix = "guard." + UUID.randomUUID().toString().substring(0, 8) + ".";
    static String samples = prefix + Topics.SAMPLES;
    static String metrics = prefix + Topics.TRAINER_METRICS;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestBroker.start(temp.resolve("kafka"), List.of(new NewTopic(samples, 1, (short) 1), new NewTopic(metrics, 1, (short) 1)));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void anAggressiveRoundIsNotPromotedAndTheNextStartsAgainFromTheLastHealthyVersion() throws Exception {
        Path state = temp.resolve("trainer");
        LoopConfig config = LoopConfig.defaults()
                .withTrainEvery(1000) // never reached: rounds start because labelers ranked everything (idle)
                .withIdleSeconds(2)
                .withTrainRewardModel(false)
                .withNumSamples(4)
                .withHealthSamplesPerPrompt(4)
                .withGeneration(LoopConfig.defaults().generation().withMaxNewTokens(24))
                .withDpo(LoopConfig.defaults().dpo().withLearningRate(0.05).withMaxSteps(12).withWarmupRatio(0));
        List<String> probe = List.of("The cat sat on the wall and looked at the", "Tim saw a shiny rock on the ground. He",
                "A little duck wanted to find a friend. She", "One night, Leo looked at the moon and said,");
        try (OutboundEvents out = new OutboundEvents(broker.bootstrapServers(), samples, metrics);
             TrainingLoop loop = new TrainingLoop(state, SharedData.stories260kModel(), SharedData.stories260kTokenizer(),
                     Device.cpu(), config, out, probe);
             var samplesReader = KafkaTopicReader.avro(broker.bootstrapServers(), samples,
                     new AvroEventDeserializer<>(SamplesGenerated.class));
             var metricsReader = KafkaTopicReader.avro(broker.bootstrapServers(), metrics,
                     new AvroEventDeserializer<>(TrainerMetric.class))) {
            for (int i = 0; i < PROMPTS; i++) {
                loop.onSampleRequest(SampleRequested.newBuilder().setEventId(UUID.randomUUID()).setProjectId("project")
                        .setPromptId("prompt-" + i).setPrompt(List.of(new Turn("user", prompt(i)))).setNumSamples(4).build());
            }
            loop.sync();
            Thread worker = Thread.ofPlatform().name("loop").start(loop::run);
            try {
                List<SamplesGenerated> published = new ArrayList<>();
                published.addAll(values(samplesReader.readUntil(r -> r.size() >= PROMPTS, Duration.ofMinutes(2))));
                published.forEach(s -> loop.onRanking(rankByLength(s)));
                loop.sync();

                // 6 rankings (36 comparisons) are far short of 1000, but nothing is left to rank: round 1 runs.
                waitFor(() -> loop.state().lastRound() >= 1 && loop.state().round() == null, Duration.ofMinutes(3));
                assertThat(loop.state().version()).as("v1 was not promoted").isZero();
                assertThat(loop.state().rejectedInARow()).isEqualTo(1);
                JsonNode v1 = JSON.readTree(state.resolve("policies/v1/" + StateLayout.HEALTH_FILE).toFile());
                assertThat(v1.get("promoted").asBoolean()).isFalse();
                assertThat(v1.get("rejected_because").has("kl_to_sft")).as("rejected for its KL to SFT: %s", v1).isTrue();
                assertThat(v1.get("metrics").get("health/kl_to_sft").asDouble()).isGreaterThan(config.guardrails().klBudget());
                assertThat(state.resolve("policies/v1/model.safetensors")).as("a rejected version stays on disk").exists();

                // Labelers get fresh samples of v0, the last healthy version, not of v1.
                List<SamplesGenerated> round1 = values(samplesReader.readUntil(r -> r.size() >= 2 * PROMPTS, Duration.ofMinutes(1)))
                        .subList(PROMPTS, 2 * PROMPTS); // the reader returns everything it has read, v0's answers first
                assertThat(round1).hasSize(PROMPTS).allSatisfy(s -> {
                    assertThat(s.getPolicyVersion()).isEqualTo("v0");
                    assertThat(s.getResponses()).extracting(GeneratedResponse::getPolicyVersion).containsOnly("v0");
                });

                // The rejection is published: health/promoted 0 and the broken guard for step 1; v0's health for step 0.
                List<TrainerMetric> health = values(metricsReader.readUntil(r -> values(r).stream()
                        .anyMatch(m -> m.getPhase().equals("health") && m.getStep() == 1 && m.getName().equals("health/promoted")),
                        Duration.ofSeconds(30))).stream().filter(m -> m.getPhase().equals("health")).toList();
                assertThat(health).anySatisfy(m -> assertThat(m).matches(x -> x.getStep() == 1
                        && x.getName().equals("health/promoted") && x.getValue() == 0.0));
                assertThat(health).anySatisfy(m -> assertThat(m).matches(x -> x.getStep() == 1
                        && x.getName().equals("guard/kl_to_sft") && x.getValue() == 1.0));
                assertThat(health).anySatisfy(m -> assertThat(m).matches(x -> x.getStep() == 0
                        && x.getName().equals("health/promoted") && x.getValue() == 1.0));

                // Round 2, after labelers ranked round 1's samples: from v0 again, at half the learning rate.
                round1.forEach(s -> loop.onRanking(rankByLength(s)));
                loop.sync();
                waitFor(() -> loop.state().lastRound() >= 2 && loop.state().round() == null, Duration.ofMinutes(3));
                assertThat(maxLearningRate(state.resolve("rounds/round-2/metrics.jsonl")))
                        .isEqualTo(maxLearningRate(state.resolve("rounds/round-1/metrics.jsonl")) / 2, org.assertj.core.api.Assertions.within(1e-9));
                assertThat(state.resolve("policies/v2/" + StateLayout.HEALTH_FILE)).exists();
                JsonNode v2 = JSON.readTree(state.resolve("policies/v2/" + StateLayout.HEALTH_FILE).toFile());
                assertThat(loop.state().version()).isEqualTo(v2.get("promoted").asBoolean() ? 2 : 0);
            } finally {
                loop.stop();
                worker.join(60_000);
            }
        }
        // The same table from the command line, as an ML engineer would look at it.
        var run = dev.rlhf.trainer.cli.CapturedRun.of("versions", "--state-dir", state.toString());
        assertThat(run.code()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("version promoted");
        assertThat(lines.get(1)).startsWith("v0      yes");
        assertThat(lines.get(2)).startsWith("v1      no").contains("KL to SFT").contains("> budget 0.250");
        assertThat(lines).hasSize(4);
    }

    static double maxLearningRate(Path metricsFile) throws Exception {
        double max = 0;
        for (String line : Files.readAllLines(metricsFile)) {
            JsonNode node = JSON.readTree(line);
            if (node.path("phase").asString().equals("dpo")) {
                max = Math.max(max, node.get("learning_rate").asDouble());
            }
        }
        return max;
    }

    static String prompt(int i) {
        return "Once upon a time, a little " + (i % 2 == 0 ? "girl" : "boy") + " named " + List.of("Mia", "Tom", "Sue", "Ben", "Ann", "Max").get(i);
    }

    /** Longer continuations are better (the oracle of ServeRestartTest). */
    static RankingSubmitted rankByLength(SamplesGenerated s) {
        return ServeRestartTest.rankByLength(s, prompt(Integer.parseInt(s.getPromptId().substring("prompt-".length()))));
    }

    static <V> List<V> values(List<ConsumerRecord<String, V>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }

    static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout);
            }
            Thread.sleep(200);
        }
    }
}
