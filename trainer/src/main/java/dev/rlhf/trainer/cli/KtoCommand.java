package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.data.KtoFile;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoConfigBuilder;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
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
 * {@code trainer kto}: Kahneman-Tversky optimisation of a policy on the {@code kto} export
 * ({@code {"prompt", "completion", "label"}}, TRL's format; {@code pairs}/{@code rankings} lines are unpaired
 * as that export does). The reference is the initial policy, scored once before training. Writes
 * {@code <out>/model}, metrics as JSONL, progress on stderr and a one-line JSON summary on stdout.
 */
@Command(name = "kto", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = "Kahneman-Tversky optimisation on unpaired desirable/undesirable completions (e.g. thumbs up/down).")
public class KtoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    TrainingOptions options;

    @Option(names = "--beta", paramLabel = "X", description = "Strength of the implicit KL constraint (default ${bundle:default.KtoConfig.beta}).")
    Double beta;

    @Option(names = "--desirable-weight", paramLabel = "X", description = "Weight of a desirable example's loss (default ${bundle:default.KtoConfig.desirableWeight}).")
    Double desirableWeight;

    @Option(names = "--undesirable-weight", paramLabel = "X", description = "Weight of an undesirable example's loss (default ${bundle:default.KtoConfig.undesirableWeight}).")
    Double undesirableWeight;

    @Option(names = "--balance-weights", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            description = "Scale the rarer label's weight by n_common / n_rare (default: from --preset; paper ${bundle:default.KtoConfig.balanceWeights}).")
    Boolean balanceWeights;

    @Override
    public Integer call() throws IOException {
        KtoConfig config = config();
        if (!Files.isRegularFile(options.data)) {
            throw new BadInputException("--data " + options.data + ": file not found");
        }
        List<KtoExample> examples;
        try {
            examples = KtoFile.read(options.data, options.modelOptions.chatTemplate());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (examples.size() < 2) {
            throw new BadInputException("--data " + options.data + ": KTO needs at least 2 examples, got " + examples.size());
        }
        try (LoadedModel loaded = options.loadModel()) {
            KtoTrainer trainer = new KtoTrainer(loaded, config, options.metricsSink()).onStep(Progress.bar("kto", "examples"));
            KtoTrainer.Result result;
            try {
                result = trainer.train(examples, options.output.out);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage(), e);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", result.steps());
            summary.putAll(KtoExample.counts(examples));
            summary.putAll(result.lastMetrics());
            summary.put("model", result.model().toString());
            JsonLine.print(spec, summary);
        }
        return 0;
    }

    /** The config of this invocation: the preset's values, with every option given explicitly overriding its own. */
    KtoConfig config() {
        return Overlay.build(() -> {
            KtoConfigBuilder c = KtoConfigBuilder.builder(options.preset.preset().kto());
            Overlay.set(beta, c::beta);
            Overlay.set(desirableWeight, c::desirableWeight);
            Overlay.set(undesirableWeight, c::undesirableWeight);
            Overlay.set(balanceWeights, c::balanceWeights);
            options.overlay(c::learningRate, c::batchSize, c::epochs, c::maxLength, c::seed, c::maxSteps, c::warmupRatio);
            return c.build();
        });
    }
}
