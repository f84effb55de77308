package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.sft.SftConfig;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.sft.SftTrainer;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Lora;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.chat.ChatTemplate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code trainer sft}: supervised fine-tuning on {@code {"prompt", "completion"}} or {@code {"text"}}
 * JSONL. Writes {@code <out>/model} and {@code <out>/resume}, metrics as JSONL, a progress bar on
 * stderr, and a one-line JSON summary on stdout.
 */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Supervised fine-tuning with a prompt-masked loss (full, frozen layers, or LoRA).")
public class SftCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "Model to start from (see generate --help).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer for models that do not carry one.")
    Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Training JSONL: {\"prompt\",\"completion\"} or {\"text\"} lines.")
    Path data;

    @Option(names = "--eval-data", paramLabel = "PATH", description = "Held-out JSONL (default: --eval-fraction of --data).")
    Path evalData;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output: DIR/model (final) and DIR/resume (resumable state).")
    Path out;

    @Option(names = "--metrics", paramLabel = "PATH", description = "JSONL metrics, one object per optimizer step.")
    Path metrics;

    @Option(names = "--seed", defaultValue = "42", description = "Data order and adapter init (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|gpu", description = "Where to train (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-steps", defaultValue = "0", description = "Optimizer steps; 0 = from --epochs (default ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(names = "--epochs", defaultValue = "3", description = "Passes over the data (default ${DEFAULT-VALUE}, TRL).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per micro-batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Mixin
    PresetOption preset;

    @Option(names = "--lr", description = "Peak learning rate (default: from --preset; paper 2e-5, TRL).")
    Float lr;

    @Option(names = "--warmup-ratio", defaultValue = "0.03", description = "Share of steps warming up (default ${DEFAULT-VALUE}).")
    float warmupRatio;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decay of matrices (default ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Gradient clipping norm (default ${DEFAULT-VALUE}).")
    float maxGradNorm;

    @Option(names = "--max-seq-len", defaultValue = "0", description = "Truncate examples to this many tokens; 0 = model context (default ${DEFAULT-VALUE}).")
    int maxSeqLen;

    @Option(names = "--eval-every", defaultValue = "50", description = "Evaluate every N steps (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-fraction", defaultValue = "0.1", description = "Held-out share without --eval-data (default ${DEFAULT-VALUE}).")
    float evalFraction;

    @Option(names = "--patience", defaultValue = "0", description = "Early stopping after N evaluations without improvement; 0 = off (default ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--freeze-layers", defaultValue = "0", description = "Freeze the embedding and the lowest N blocks (default ${DEFAULT-VALUE}).")
    int freezeLayers;

    @Option(names = "--lora-rank", defaultValue = "0", description = "LoRA rank; 0 = full fine-tuning (default ${DEFAULT-VALUE}).")
    int loraRank;

    @Option(names = "--lora-alpha", defaultValue = "16", description = "LoRA alpha (default ${DEFAULT-VALUE}).")
    float loraAlpha;

    @Option(names = "--lora-targets", defaultValue = "q_proj,v_proj", split = ",",
            description = "Projections with adapters (default ${DEFAULT-VALUE}).")
    List<String> loraTargets;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Resumable checkpoint every N steps (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from DIR/resume when it exists.")
    boolean resume;

    @Option(names = "--config", paramLabel = "FILE", description = "JSON or properties file of these options; flags override it.")
    Path config;

    @Mixin
    DtypeOptions dtypes;

    @Override
    public Integer call() throws IOException {
        SftConfig sft = sftConfig();
        ChatTemplate template = CliModels.chatTemplate(model, tokenizer);
        List<SftExample> train = readExamples(data, "--data", template);
        List<SftExample> eval = evalData == null ? null : readExamples(evalData, "--eval-data", template);
        Device target;
        try {
            target = Devices.select(device);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--device " + e.getMessage());
        }
        MetricsSink sink = metrics == null ? MetricsSink.none() : MetricsSink.jsonl(metrics);
        dtypes.precision(target);
        LoadedModel loaded = CliModels.load(model, tokenizer, target);
        try (loaded) {
            dtypes.applyTo(loaded.model(), true);
            Progress[] progress = new Progress[1];
            SftTrainer trainer = new SftTrainer(loaded, sft, sink).onStep((step, total, tokens) -> {
                if (progress[0] == null) {
                    progress[0] = new Progress("sft", total, "tok", System.err);
                }
                progress[0].advance(1, tokens);
            });
            SftTrainer.Result result;
            try {
                result = trainer.train(train, eval, out, resume);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage(), e);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", result.steps());
            summary.put("train_loss", result.lastTrainLoss());
            if (!Double.isNaN(result.lastEvalLoss())) {
                summary.put("eval_loss", result.lastEvalLoss());
                summary.put("eval_perplexity", Math.exp(result.lastEvalLoss()));
            }
            summary.put("stopped_early", result.stoppedEarly());
            summary.put("model", result.model().toString());
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println(JsonMapper.builder().build().writeValueAsString(summary));
            stdout.flush();
        }
        return 0;
    }

    /** The config of this invocation: the preset's learning rate unless --lr is given. */
    SftConfig sftConfig() {
        float learningRate = lr != null ? lr : preset.preset().sftLearningRate();
        try {
            return new SftConfig(learningRate, warmupRatio, 0.1f, new AdamW.Settings(0.9f, 0.95f, 1e-8f, weightDecay), maxGradNorm,
                    batchSize, gradAccum, epochs, maxSteps, maxSeqLen, evalEvery, evalFraction, patience, freezeLayers,
                    new Lora.Settings(loraRank, loraAlpha, loraTargets), checkpointEvery, true, seed);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--" + e.getMessage());
        }
    }

    private static List<SftExample> readExamples(Path file, String option, ChatTemplate template) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(option + " " + file + ": file not found");
        }
        try {
            return SftExample.readJsonl(file, template);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
