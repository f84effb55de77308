package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.sft.SftConfig;
import dev.rlhf.trainer.sft.SftConfigBuilder;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.sft.SftTrainer;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.Lora;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.chat.ChatTemplate;
import java.io.IOException;
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

/**
 * {@code trainer sft}: supervised fine-tuning on {@code {"prompt", "completion"}} or {@code {"text"}}
 * JSONL. Writes {@code <out>/model} and {@code <out>/resume}, metrics as JSONL, a progress bar on
 * stderr, and a one-line JSON summary on stdout.
 */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = "Supervised fine-tuning with a prompt-masked loss (full, frozen layers, or LoRA).")
public class SftCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Training JSONL: {\"prompt\",\"completion\"} or {\"text\"} lines.")
    Path data;

    @Option(names = "--eval-data", paramLabel = "PATH", description = "Held-out JSONL (default: --eval-fraction of --data).")
    Path evalData;

    @Mixin
    RunOutputOptions output;

    @Option(names = "--seed", description = "Data order and adapter init (default ${bundle:default.SftConfig.seed}).")
    Long seed;

    @Mixin
    DeviceOption device;

    @Option(names = "--max-steps", description = "Optimizer steps; 0 = from --epochs (default ${bundle:default.SftConfig.maxSteps}).")
    Integer maxSteps;

    @Option(names = "--epochs", description = "Passes over the data (default ${bundle:default.SftConfig.epochs}, TRL).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Sequences per micro-batch (default ${bundle:default.SftConfig.batchSize}).")
    Integer batchSize;

    @Option(names = "--grad-accum", description = "Micro-batches per optimizer step (default ${bundle:default.SftConfig.gradientAccumulation}).")
    Integer gradAccum;

    @Mixin
    PresetOption preset;

    @Option(names = "--lr", description = "Peak learning rate (default: from --preset; paper ${bundle:default.SftConfig.learningRate}, TRL).")
    Float lr;

    @Option(names = "--warmup-ratio", description = "Share of steps warming up (default ${bundle:default.SftConfig.warmupRatio}).")
    Float warmupRatio;

    @Option(names = "--weight-decay", description = "AdamW decay of matrices (default ${bundle:default.SftConfig.optimizer.weightDecay}).")
    Float weightDecay;

    @Option(names = "--max-grad-norm", description = "Gradient clipping norm (default ${bundle:default.SftConfig.maxGradNorm}).")
    Float maxGradNorm;

    @Option(names = "--max-seq-len",
            description = "Truncate examples to this many tokens; 0 = model context (default ${bundle:default.SftConfig.maxSeqLen}).")
    Integer maxSeqLen;

    @Option(names = "--eval-every", description = "Evaluate every N steps (default ${bundle:default.SftConfig.evalEvery}).")
    Integer evalEvery;

    @Option(names = "--eval-fraction", description = "Held-out share without --eval-data (default ${bundle:default.SftConfig.evalFraction}).")
    Float evalFraction;

    @Option(names = "--patience",
            description = "Early stopping after N evaluations without improvement; 0 = off (default ${bundle:default.SftConfig.earlyStoppingPatience}).")
    Integer patience;

    @Option(names = "--freeze-layers", description = "Freeze the embedding and the lowest N blocks (default ${bundle:default.SftConfig.freezeLayers}).")
    Integer freezeLayers;

    @Option(names = "--lora-rank", description = "LoRA rank; 0 = full fine-tuning (default ${bundle:default.SftConfig.lora.rank}).")
    Integer loraRank;

    @Option(names = "--lora-alpha", description = "LoRA alpha (default ${bundle:default.SftConfig.lora.alpha}).")
    Float loraAlpha;

    @Option(names = "--lora-targets", split = ",", description = "Projections with adapters (default ${bundle:default.SftConfig.lora.targets}).")
    List<String> loraTargets;

    @Option(names = "--checkpoint-every", description = "Resumable checkpoint every N steps (default ${bundle:default.SftConfig.checkpointEvery}).")
    Integer checkpointEvery;

    @Option(names = "--resume", description = "Continue from DIR/resume when it exists.")
    boolean resume;

    @Mixin
    ConfigFileOption configFile;

    @Mixin
    DtypeOptions dtypes;

    @Override
    public Integer call() throws IOException {
        SftConfig sft = sftConfig();
        ChatTemplate template = modelOptions.chatTemplate();
        List<SftExample> train = readExamples(data, "--data", template);
        List<SftExample> eval = evalData == null ? null : readExamples(evalData, "--eval-data", template);
        Device target = device.device();
        MetricsSink sink = output.metricsSink();
        dtypes.precision(target);
        LoadedModel loaded = modelOptions.load(target);
        try (loaded) {
            dtypes.applyTo(loaded.model(), true);
            SftTrainer trainer = new SftTrainer(loaded, sft, sink).onStep(Progress.bar("sft", "tok"));
            SftTrainer.Result result;
            try {
                result = trainer.train(train, eval, output.out, resume);
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
            JsonLine.print(spec, summary);
        }
        return 0;
    }

    /** The config of this invocation: the record's defaults with the preset's learning rate, and every option given overriding its own. */
    SftConfig sftConfig() {
        SftConfig base = SftConfig.defaults().withLearningRate(preset.preset().sftLearningRate());
        return Overlay.build(() -> {
            SftConfigBuilder sft = SftConfigBuilder.builder(base);
            Overlay.set(lr, sft::learningRate);
            Overlay.set(warmupRatio, sft::warmupRatio);
            Overlay.set(weightDecay, v -> sft.optimizer(new AdamW.Settings(base.optimizer().beta1(), base.optimizer().beta2(),
                    base.optimizer().epsilon(), v)));
            Overlay.set(maxGradNorm, sft::maxGradNorm);
            Overlay.set(batchSize, sft::batchSize);
            Overlay.set(gradAccum, sft::gradientAccumulation);
            Overlay.set(epochs, sft::epochs);
            Overlay.set(maxSteps, sft::maxSteps);
            Overlay.set(maxSeqLen, sft::maxSeqLen);
            Overlay.set(evalEvery, sft::evalEvery);
            Overlay.set(evalFraction, sft::evalFraction);
            Overlay.set(patience, sft::earlyStoppingPatience);
            Overlay.set(freezeLayers, sft::freezeLayers);
            Overlay.set(checkpointEvery, sft::checkpointEvery);
            Overlay.set(seed, sft::seed);
            Lora.Settings lora = base.lora();
            sft.lora(new Lora.Settings(loraRank != null ? loraRank : lora.rank(), loraAlpha != null ? loraAlpha : lora.alpha(),
                    loraTargets != null ? loraTargets : lora.targets()));
            return sft.build();
        });
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
