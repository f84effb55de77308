package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.feedback.outbox.KafkaTopicReader;
import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;
import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.schemas.kafka.AvroEventDeserializer;
import dev.rlhf.schemas.kafka.Topics;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.ModelTemplates;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import dev.rlhf.schemas.kafka.AvroEventSerializer;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 12: the {@code serve} loop runs one round on tiny-random-qwen3 (bf16, real Qwen3 tokenizer and
 * chat template). Conversations come in as sample requests, samples go out, rankings (with their
 * conversation, as the annotation app sends them) come back, all through the in-process broker and the
 * trainer's consumer wired as {@code serve} wires it, a DPO round trains v1, and samples of the next round go out. Every prompt the loop generated
 * from is the Qwen chat template's rendering of its conversation (token ids beginning with
 * {@code <|im_start|>} 151644, ending with the generation prompt), and every response ends at an EOS id
 * (151645 {@code <|im_end|>} or 151643 {@code <|endoftext|>}) or at the token budget.
 */
class QwenServeLoopTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Path QWEN3 = SharedData.dir().resolve("data/models/tiny-random-qwen3");
    static final int PROMPTS = 3;
    static final int MAX_NEW_TOKENS = 8;
    static final int IM_START = 151644;

    @TempDir
    static Path temp;
    static EmbeddedKafkaBroker broker;
    static String prefix = "qwen." + UUID.randomUUID().toString().substring(0, 8) + ".";
    static String samples = prefix + Topics.SAMPLES;
    static String metrics = prefix + Topics.TRAINER_METRICS;
    static String rankings = prefix + Topics.RANKINGS;
    static String requests = prefix + Topics.SAMPLE_REQUESTS;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestBroker.start(temp.resolve("kafka"), List.of(new NewTopic(samples, 1, (short) 1), new NewTopic(metrics, 1, (short) 1),
                new NewTopic(rankings, 1, (short) 1), new NewTopic(requests, 1, (short) 1)));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    static List<Turn> conversation(int i) {
        List<Turn> turns = new ArrayList<>();
        if (i == 0) {
            turns.add(new Turn("system", "You are a helpful assistant."));
            turns.add(new Turn("user", "Name a colour."));
            turns.add(new Turn("assistant", "Blue."));
        }
        turns.add(new Turn("user", List.of("And another one?", "Say hi.", "What is 2+2?").get(i)));
        return turns;
    }

    @Test
    void oneDpoRoundOnQwen3WithItsChatTemplate() throws Exception {
        long start = System.nanoTime();
        Path state = temp.resolve("trainer");
        LoopConfig config = LoopConfig.defaults()
                .withTrainEvery(1000) // never reached: the round starts because labelers ranked everything (idle)
                .withIdleSeconds(1)
                .withTrainRewardModel(false)
                .withNumSamples(2)
                .withHealthSamplesPerPrompt(1)
                .withHealthMaxPrompts(PROMPTS)
                .withGeneration(LoopConfig.defaults().generation().withMaxNewTokens(MAX_NEW_TOKENS))
                .withDpo(LoopConfig.defaults().dpo().withMaxSteps(2).withBatchSize(2));
        ChatTemplate template = ModelTemplates.of(QWEN3, null);
        Set<String> rendered = new java.util.HashSet<>();
        for (int i = 0; i < PROMPTS; i++) {
            rendered.add(template.render(conversation(i).stream().map(t -> new ChatMessage(t.getRole(), t.getContent())).toList(),
                    true, Map.of()));
        }
        try (OutboundEvents out = new OutboundEvents(broker.bootstrapServers(), samples, metrics);
             TrainingLoop loop = new TrainingLoop(state, QWEN3, null, Device.cpu(), config, out);
             InboundEvents in = new InboundEvents(broker.bootstrapServers(), prefix + "trainer") // wired as ServeCommand wires it
                     .on(rankings, RankingSubmitted.class, loop::onRanking)
                     .on(requests, SampleRequested.class, loop::onSampleRequest)
                     .beforeCommit(loop::sync);
             var producer = new KafkaProducer<String, SpecificRecord>(producerProperties(), new StringSerializer(), new AvroEventSerializer<>());
             var samplesReader = KafkaTopicReader.avro(broker.bootstrapServers(), samples,
                     new AvroEventDeserializer<>(SamplesGenerated.class))) {
            Thread consumer = Thread.ofPlatform().name("inbound").start(in::run);
            Thread worker = Thread.ofPlatform().name("loop").start(loop::run);
            List<SamplesGenerated> round0;
            List<SamplesGenerated> round1;
            try {
                for (int i = 0; i < PROMPTS; i++) {
                    producer.send(new ProducerRecord<>(requests, "prompt-" + i, SampleRequested.newBuilder().setEventId(UUID.randomUUID())
                            .setProjectId("project").setPromptId("prompt-" + i).setPrompt(conversation(i)).setNumSamples(2).build())).get();
                }
                round0 = GuardrailLoopTest.values(samplesReader.readUntil(r -> r.size() >= PROMPTS, Duration.ofMinutes(1)));
                assertThat(round0).hasSize(PROMPTS).allSatisfy(s -> assertThat(s.getPolicyVersion()).isEqualTo("v0"));
                for (SamplesGenerated s : round0) {
                    producer.send(new ProducerRecord<>(rankings, s.getPromptId(), rankByLength(s))).get();
                }

                GuardrailLoopTest.waitFor(() -> loop.state().lastRound() >= 1 && loop.state().round() == null, Duration.ofMinutes(2));
                round1 = GuardrailLoopTest.values(samplesReader.readUntil(r -> r.size() >= 2 * PROMPTS, Duration.ofMinutes(1)))
                        .subList(PROMPTS, 2 * PROMPTS);
            } finally {
                loop.stop();
                in.wakeup();
                worker.join(60_000);
                consumer.join(30_000);
            }
            // The round trained v1 by DPO from the three rankings, on Qwen3, and kept its bf16 weights.
            JsonNode roundMetrics = JSON.readTree(Files.readAllLines(state.resolve("rounds/round-1/metrics.jsonl")).stream()
                    .filter(l -> l.contains("\"dpo\"")).findFirst().orElseThrow());
            assertThat(Double.isFinite(roundMetrics.get("loss").asDouble())).isTrue();
            Path v1 = loop.policyDir(1);
            assertThat(JSON.readTree(v1.resolve(ModelCheckpoint.MANIFEST).toFile()).path("weightsDtype").asString()).isEqualTo("bfloat16");
            String expectedVersion = loop.state().version() == 1 ? "v1" : "v0";
            assertThat(round1).allSatisfy(s -> assertThat(s.getPolicyVersion()).isEqualTo(expectedVersion));

            // Samples out: at most the token budget, no special token leaked into the text.
            for (SamplesGenerated s : concat(round0, round1)) {
                assertThat(s.getResponses()).hasSize(2).allSatisfy(r -> {
                    assertThat(r.getTokenCount()).isBetween(0, MAX_NEW_TOKENS);
                    assertThat(r.getText()).doesNotContain("<|im_end|>", "<|endoftext|>", "<|im_start|>");
                });
            }

            // The prompts the loop generated from (health samples of v0 and v1 keep them with the finish reason):
            // the Qwen rendering of the requested conversations, ids starting with <|im_start|>.
            List<JsonNode> health = new ArrayList<>();
            for (Path file : List.of(state.resolve("health/v0/samples.jsonl"), state.resolve("rounds/round-1/health-samples.jsonl"))) {
                assertThat(file).exists();
                for (String line : Files.readAllLines(file)) {
                    health.add(JSON.readTree(line));
                }
            }
            assertThat(health).isNotEmpty();
            try (LoadedModel qwen = ModelLoader.load(QWEN3, null, Device.cpu())) {
                assertThat(qwen.tokenizer().stopTokenIds()).contains(151645, 151643);
                for (JsonNode h : health) {
                    String prompt = h.get("prompt").asString();
                    assertThat(rendered).contains(prompt);
                    assertThat(prompt).startsWith("<|im_start|>").endsWith("<|im_end|>\n<|im_start|>assistant\n");
                    assertThat(qwen.tokenizer().encode(prompt)[0]).isEqualTo(IM_START);
                    String finish = h.get("finish").asString();
                    assertThat(finish).isIn("eos", "length");
                    if (finish.equals("length")) {
                        assertThat(h.get("tokens").asInt()).isEqualTo(MAX_NEW_TOKENS);
                    } else {
                        assertThat(h.get("tokens").asInt()).isLessThanOrEqualTo(MAX_NEW_TOKENS);
                    }
                }
                assertThat(health.stream().map(h -> h.get("prompt").asString()).collect(Collectors.toSet())).hasSizeGreaterThan(0);
            }
        }
        System.err.println("QwenServeLoopTest: " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    static Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    static List<SamplesGenerated> concat(List<SamplesGenerated> a, List<SamplesGenerated> b) {
        List<SamplesGenerated> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** {@code s} ranked longest first, with the request's conversation, as the annotation app submits it. */
    static RankingSubmitted rankByLength(SamplesGenerated s) {
        int i = Integer.parseInt(s.getPromptId().substring("prompt-".length()));
        List<RankedResponse> responses = new ArrayList<>();
        for (int k = 0; k < s.getResponses().size(); k++) {
            GeneratedResponse r = s.getResponses().get(k);
            responses.add(RankedResponse.newBuilder().setId("r" + k).setText(r.getText())
                    .setPolicyVersion(r.getPolicyVersion() != null ? r.getPolicyVersion() : s.getPolicyVersion()).build());
        }
        List<List<String>> order = responses.stream()
                .sorted(Comparator.comparingInt((RankedResponse r) -> -r.getText().length()).thenComparing(RankedResponse::getId))
                .map(r -> List.of(r.getId())).toList();
        return RankingSubmitted.newBuilder().setEventId(UUID.randomUUID()).setProjectId(s.getProjectId())
                .setPromptId(s.getPromptId()).setPrompt(conversation(i).getLast().getContent()).setConversation(conversation(i))
                .setResponses(responses).setRanking(order)
                .setAnnotatorId("oracle").setSubmittedAt(Instant.now()).setDurationMs(1000).build();
    }
}
