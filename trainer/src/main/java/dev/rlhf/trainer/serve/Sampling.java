package dev.rlhf.trainer.serve;

import static dev.rlhf.trainer.serve.StateLayout.versionName;

import dev.rlhf.schemas.events.GeneratedResponse;
import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.SamplesGenerated;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.ModelTemplates;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples for labelers: the current policy (loaded once per version), the chat template every prompt is
 * rendered with, and publishing {@code SamplesGenerated}: answers to sample requests, refills when
 * labelers ran out of tasks, and (for {@link TrainingRound}) the samples of a new version.
 */
final class Sampling implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);

    private final PolicyVersions versions;
    private final LoopConfig config;
    private final OutboundEvents out;
    private final Intake intake;
    private final LoopStateFile state;

    /** The current policy, loaded for sampling; replaced when a round promotes a new version. */
    private LoadedModel current;
    private int currentVersion = -1;
    private volatile ChatTemplate template;

    Sampling(PolicyVersions versions, LoopConfig config, OutboundEvents out, Intake intake, LoopStateFile state) {
        this.versions = versions;
        this.config = config;
        this.out = out;
        this.intake = intake;
        this.state = state;
    }

    /** The chat template of the SFT policy (read once from its tokenizer files); trained versions keep it. */
    ChatTemplate template() {
        ChatTemplate t = template;
        if (t == null) {
            try {
                t = ModelTemplates.of(versions.layout().basePolicy(), versions.tokenizer());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            template = t;
        }
        return t;
    }

    /**
     * A prompt's text: its conversation rendered by the SFT policy's chat template, so sampling, reward
     * model and policy training all see the same tokens.
     */
    String render(List<ChatMessage> conversation) {
        return render(template(), conversation);
    }

    static String render(ChatTemplate template, List<ChatMessage> conversation) {
        return template.render(conversation, true, Map.of());
    }

    /** The current policy, loaded once per version. */
    LoadedModel currentModel() throws IOException {
        int version = state.current().version();
        if (currentVersion != version) {
            if (current != null) {
                current.close();
            }
            current = versions.load(version);
            currentVersion = version;
        }
        return current;
    }

    /** Samples of the current policy. */
    List<GeneratedSample> generate(List<String> prompts, GenerationConfig generation) throws IOException {
        return generate(currentModel(), prompts, generation);
    }

    /** Samples of another version, loaded for this call only. */
    List<GeneratedSample> generate(int version, List<String> prompts, GenerationConfig generation) throws IOException {
        try (LoadedModel policy = versions.load(version)) {
            return generate(policy, prompts, generation);
        }
    }

    private static List<GeneratedSample> generate(LoadedModel policy, List<String> prompts, GenerationConfig generation) {
        return new Generator(new LlamaLanguageModel(policy.model()), policy.tokenizer()).generate(prompts, generation);
    }

    /** Publishes samples of a prompt; labelers now have a task of it to rank. */
    void publish(SamplesGenerated samples) {
        intake.published(samples.getPromptId());
        out.samples(samples);
    }

    /** Answers the next batch of pending sample requests with samples of the current policy, and saves the progress. */
    void answerRequests() throws IOException {
        SampleRequests requests = intake.requests();
        int from = state.current().requestsAnswered();
        List<SampleRequest> pending = requests.head(requests.size()).subList(from, requests.size());
        // One batch: requests with the same K and settings, at most 16 prompts, so progress is saved often.
        SampleRequest first = pending.getFirst();
        List<SampleRequest> batch = new ArrayList<>();
        for (SampleRequest r : pending) {
            if (batch.size() == 16 || r.numSamples() != first.numSamples() || !java.util.Objects.equals(r.generation(), first.generation())) {
                break;
            }
            batch.add(r);
        }
        int version = state.current().version();
        String versionName = versionName(version);
        GenerationConfig generation = config.generation().withNumSamples(Math.max(2, first.numSamples()));
        Long seed = null;
        if (first.generation() != null) {
            generation = first.generation().over(generation);
            seed = first.generation().seed();
        }
        generation = generation.withSeed(seed != null ? seed : config.seed() + 7919L * version + from);
        List<String> prompts = batch.stream().map(r -> render(r.messages())).toList();
        long t0 = System.nanoTime();
        List<GeneratedSample> samples = generate(prompts, generation);
        for (int p = 0; p < batch.size(); p++) {
            SampleRequest r = batch.get(p);
            publish(samples(eventId("request", r.eventId(), versionName), r.projectId(), r.promptId(), versionName,
                    responses(samples, p, generation.numSamples(), generation, null)));
        }
        state.save(state.current().withRequestsAnswered(from + batch.size()));
        log.info("Answered {} sample request(s) with {} samples each from policy {} in {} ms ({} of {} answered)",
                batch.size(), generation.numSamples(), versionName, (System.nanoTime() - t0) / 1_000_000,
                state.current().requestsAnswered(), requests.size());
    }

    /** Fresh samples of the current policy for the most recently ranked prompts, when labelers have nothing left to rank. */
    void refill() throws IOException {
        int refill = state.current().refills() + 1;
        List<Intake.Prompt> chosen = intake.recentPrompts(intake.store().size(), config.promptsPerRound());
        String version = versionName(state.current().version());
        GenerationConfig generation = config.generation().withNumSamples(config.numSamples())
                .withSeed(config.seed() + 2_000_029L * refill);
        List<GeneratedSample> samples = generate(chosen.stream().map(p -> render(p.conversation())).toList(), generation);
        int k = generation.numSamples();
        for (int p = 0; p < chosen.size(); p++) {
            Intake.Prompt prompt = chosen.get(p);
            publish(samples(eventId("refill", Integer.toString(refill), prompt.promptId()), prompt.projectId(), prompt.promptId(),
                    version, responses(samples, p, k, generation, version)));
        }
        intake.refilled();
        state.save(state.current().withRefills(refill));
        log.info("Labelers ranked every task and {} new comparisons are short of {}: sampled {} ranked prompts afresh from {} "
                + "(refill {})", intake.store().comparisons() - state.current().comparisonsTrained(), config.trainEvery(),
                chosen.size(), version, refill);
    }

    /** The {@code k} samples of prompt {@code p} (samples are grouped by prompt), as responses of {@code version}. */
    static List<GeneratedResponse> responses(List<GeneratedSample> samples, int p, int k, GenerationConfig g, String version) {
        List<GeneratedResponse> responses = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            responses.add(response(samples.get(p * k + s), g, version));
        }
        return responses;
    }

    static SamplesGenerated samples(UUID eventId, String projectId, String promptId, String version, List<GeneratedResponse> responses) {
        return SamplesGenerated.newBuilder().setEventId(eventId).setProjectId(projectId).setPromptId(promptId)
                .setPolicyVersion(version).setResponses(responses).build();
    }

    private static GeneratedResponse response(GeneratedSample s, GenerationConfig g, String version) {
        return GeneratedResponse.newBuilder().setText(s.completion()).setLogprobSum(s.logprob())
                .setTokenCount(s.tokenIds().length).setPolicyVersion(version)
                .setGeneration(GenerationSettings.newBuilder().setMaxNewTokens(g.maxNewTokens())
                        .setTemperature((double) g.temperature()).setTopK(g.topK()).setTopP((double) g.topP())
                        .setSeed(g.seed()).build())
                .build();
    }

    /** Deterministic event id: a repeated phase publishes the same ids, which consumers drop as duplicates. */
    static UUID eventId(String kind, String a, String b) {
        return UUID.nameUUIDFromBytes(("rlhf.trainer/" + kind + "/" + a + "/" + b).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
        }
    }
}
