package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code serve --algorithm kto}: a round trains the policy with KTO on the stored rankings, unpaired (each ranking's
 * top response desirable, its bottom one undesirable), writes its metrics as phase "kto" and publishes the version.
 */
class KtoLoopTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final int PROMPTS = 6;

    @TempDir
    static Path temp;
    static EmbeddedKafkaBroker broker;
    static String prefix = "kto." + UUID.randomUUID().toString().substring(0, 8) + ".";
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
    void aKtoRoundTrainsOnTheRankingsUnpaired() throws Exception {
        Path state = temp.resolve("trainer");
        LoopConfig config = LoopConfig.defaults()
                .withAlgorithm(LoopConfig.Algorithm.KTO)
                .withTrainEvery(1000) // never reached: the round starts because labelers ranked everything (idle)
                .withIdleSeconds(2)
                .withTrainRewardModel(false)
                .withHealthSamplesPerPrompt(4)
                .withGeneration(LoopConfig.defaults().generation().withMaxNewTokens(24))
                .withKto(LoopConfig.defaults().kto().withBatchSize(4).withMaxSteps(3).withBalanceWeights(false));
        List<String> probe = List.of("The cat sat on the wall and looked at the", "Tim saw a shiny rock on the ground. He");
        try (OutboundEvents out = new OutboundEvents(broker.bootstrapServers(), samples, metrics);
             TrainingLoop loop = new TrainingLoop(state, SharedData.stories260kModel(), SharedData.stories260kTokenizer(),
                     Device.cpu(), config, out, probe);
             var samplesReader = KafkaTopicReader.avro(broker.bootstrapServers(), samples,
                     new AvroEventDeserializer<>(SamplesGenerated.class))) {
            for (int i = 0; i < PROMPTS; i++) {
                loop.onSampleRequest(SampleRequested.newBuilder().setEventId(UUID.randomUUID()).setProjectId("project")
                        .setPromptId("prompt-" + i).setPrompt(List.of(new Turn("user", GuardrailLoopTest.prompt(i)))).setNumSamples(4).build());
            }
            loop.sync();
            Thread worker = Thread.ofPlatform().name("loop").start(loop::run);
            try {
                List<SamplesGenerated> published = new ArrayList<>(GuardrailLoopTest.values(
                        samplesReader.readUntil(r -> r.size() >= PROMPTS, Duration.ofMinutes(2))));
                published.forEach(s -> loop.onRanking(GuardrailLoopTest.rankByLength(s)));
                loop.sync();
                GuardrailLoopTest.waitFor(() -> loop.state().lastRound() >= 1 && loop.state().round() == null, Duration.ofMinutes(3));
            } finally {
                loop.stop();
                worker.join(60_000);
            }
        }
        List<JsonNode> kto = new ArrayList<>();
        for (String line : Files.readAllLines(state.resolve("rounds/round-1/metrics.jsonl"))) {
            JsonNode node = JSON.readTree(line);
            if (node.path("phase").asString().equals(KtoTrainer.PHASE)) {
                kto.add(node);
            }
        }
        assertThat(kto).hasSize(3);
        // Step 1 scores the initial policy: z0 = 0 and every loss term 1 - sigmoid(0) = 0.5 (weights 1, 1).
        assertThat(kto.get(0).get("kl").asDouble()).isZero();
        assertThat(kto.get(0).get("loss").asDouble()).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-5));
        assertThat(state.resolve("rounds/round-1/kto/model")).isDirectory();
        assertThat(state.resolve("policies/v1/model.safetensors")).exists();
        assertThat(state.resolve("policies/v1/" + StateLayout.HEALTH_FILE)).exists();
    }
}
