package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.GenerationConfigBuilder;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.Precision;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trainer generate}: completions for prompts, one JSON line per sample on stdout:
 * {@code {"prompt", "completion", "token_ids", "logprob", "finish_reason"}}. Progress goes to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = "Sample completions for prompts; prints one JSON line per sample.")
public class GenerateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "A prompt (repeatable), a user turn rendered by the model's chat template; instead of --data.")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--prompt-ids", paramLabel = "ID,ID,...",
            description = "A prompt as token ids (repeatable), used as given: no template, nothing added.")
    List<String> promptIds = new ArrayList<>();

    @Option(names = "--data", paramLabel = "PATH",
            description = "JSONL file of {\"prompt\": ...} or {\"messages\": [...]} lines, rendered by the model's chat template.")
    Path data;

    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "Most tokens generated per sample (default ${bundle:default.GenerationConfig.maxNewTokens}).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature; 0 = greedy (default ${bundle:default.GenerationConfig.temperature}).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Sample among the K most likely tokens; 0 = off (default ${bundle:default.GenerationConfig.topK}).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus sampling mass; 1 = off (default ${bundle:default.GenerationConfig.topP}).")
    Float topP;

    @Option(names = "--num-samples", paramLabel = "K",
            description = "Samples per prompt, generated in one batch (default ${bundle:default.GenerationConfig.numSamples}).")
    Integer numSamples;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: random).")
    Long seed;

    @Mixin
    DeviceOption device;

    @Option(names = "--repetition-penalty", paramLabel = "X",
            description = "CTRL repetition penalty; 1 = off (default ${bundle:default.GenerationConfig.repetitionPenalty}).")
    Float repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N",
            description = "Never repeat an n-gram of this size; 0 = off (default ${bundle:default.GenerationConfig.noRepeatNgramSize}).")
    Integer noRepeatNgramSize;

    @Option(names = "--num-beams", paramLabel = "N",
            description = "Beam search width; 1 = sampling (default ${bundle:default.GenerationConfig.numBeams}).")
    Integer numBeams;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable): completions end before it.")
    List<String> stopStrings = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "Prompts per batch; each brings its --num-samples rows (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    DtypeOption dtype;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws IOException {
        List<int[]> idPrompts = parsePromptIds();
        List<String> allPrompts = idPrompts == null ? readPrompts() : null;
        GenerationConfig generation = generationConfig();
        if (batchSize < 1) {
            throw new BadInputException("--batch-size must be >= 1, got " + batchSize);
        }
        Device target = device.device();
        PrintWriter out = spec.commandLine().getOut();
        try (LoadedModel loaded = load(target)) {
            Generator generator = new Generator(new LlamaLanguageModel(loaded.model()), loaded.tokenizer());
            List<int[]> allIds = idPrompts;
            if (allIds != null) {
                for (int[] ids : allIds) {
                    for (int id : ids) {
                        if (id < 0 || id >= loaded.model().config().vocabSize()) {
                            throw new BadInputException("--prompt-ids: token id " + id + " is outside the vocabulary (0.."
                                    + (loaded.model().config().vocabSize() - 1) + ")");
                        }
                    }
                }
                allPrompts = allIds.stream().map(ids -> loaded.tokenizer().decode(ids)).toList();
            }
            Progress progress = allPrompts.size() > batchSize
                    ? new Progress("generate", allPrompts.size(), "tok", System.err) : null;
            for (int from = 0; from < allPrompts.size(); from += batchSize) {
                List<String> batch = allPrompts.subList(from, Math.min(from + batchSize, allPrompts.size()));
                List<GeneratedSample> samples;
                try {
                    samples = allIds != null
                            ? generator.generate(batch, allIds.subList(from, from + batch.size()), generation)
                            : generator.generate(batch, generation);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException("prompt " + (from + 1) + "-" + (from + batch.size()) + ": " + e.getMessage());
                }
                long tokens = 0;
                for (GeneratedSample s : samples) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("prompt", s.prompt());
                    line.put("completion", s.completion());
                    line.put("token_ids", s.tokenIds());
                    line.put("logprob", s.logprob());
                    line.put("finish_reason", s.finishReason().name().toLowerCase(java.util.Locale.ROOT));
                    out.println(JSON.writeValueAsString(line));
                    tokens += s.tokenIds().length;
                }
                out.flush();
                if (progress != null) {
                    progress.advance(batch.size(), tokens);
                }
            }
        }
        return 0;
    }

    private LoadedModel load(Device target) throws IOException {
        dtype.precision(target);
        LoadedModel loaded = modelOptions.load(target);
        dtype.applyTo(loaded.model(), false);
        return loaded;
    }

    /** The decoding config: {@link GenerationConfig#defaults()}, with every option given overriding its own; no --seed draws one. */
    GenerationConfig generationConfig() {
        return Overlay.build(() -> {
            GenerationConfigBuilder g = GenerationConfigBuilder.builder(GenerationConfig.defaults());
            Overlay.set(maxNewTokens, g::maxNewTokens);
            Overlay.set(temperature, g::temperature);
            Overlay.set(topK, g::topK);
            Overlay.set(topP, g::topP);
            Overlay.set(repetitionPenalty, g::repetitionPenalty);
            Overlay.set(noRepeatNgramSize, g::noRepeatNgramSize);
            Overlay.set(numBeams, g::numBeams);
            Overlay.set(numSamples, g::numSamples);
            if (!stopStrings.isEmpty()) {
                g.stopStrings(stopStrings);
            }
            Overlay.set(seed, g::seed);
            return g.build();
        });
    }

    /** The --prompt-ids prompts, or null when none are given. */
    private List<int[]> parsePromptIds() {
        if (promptIds.isEmpty()) {
            return null;
        }
        if (!prompts.isEmpty() || data != null) {
            throw new BadInputException("--prompt-ids, --prompt and --data are alternatives; give one");
        }
        List<int[]> out = new ArrayList<>();
        for (String list : promptIds) {
            try {
                int[] ids = java.util.Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
                if (ids.length == 0) {
                    throw new NumberFormatException("empty");
                }
                out.add(ids);
            } catch (NumberFormatException e) {
                throw new BadInputException("--prompt-ids " + list + ": expected comma-separated token ids such as 1,403,407");
            }
        }
        return out;
    }

    /** --prompt texts (each a user turn) or --data lines, rendered by the model's chat template. */
    private List<String> readPrompts() throws IOException {
        if (!prompts.isEmpty() && data != null) {
            throw new BadInputException("--prompt and --data are alternatives; give one");
        }
        if (prompts.isEmpty() && data == null) {
            throw new BadInputException("give --prompt TEXT, --prompt-ids IDS or --data FILE");
        }
        ChatTemplate template = modelOptions.chatTemplate();
        if (data == null) {
            return prompts.stream().map(p -> template.prompt(ChatMessage.userPrompt(p))).toList();
        }
        return PromptFile.read(data, template);
    }
}
