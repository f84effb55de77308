package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.RankedResponses.PreferencePair;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoConfigBuilder;
import dev.rlhf.trainer.align.dpo.DpoLossType;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import java.io.IOException;
import java.util.ArrayList;
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
 * {@code trainer dpo}: direct preference optimisation of a policy on {@code pairs} exports
 * ({@code rankings} lines are expanded into their ordered pairs). The reference is the initial
 * policy, scored once before training. Writes {@code <out>/model}, metrics as JSONL, progress on
 * stderr and a one-line JSON summary on stdout.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = "Direct preference optimisation (sigmoid, IPO, conservative DPO) on preference pairs.")
public class DpoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    TrainingOptions options;

    @Option(names = "--beta", paramLabel = "X", description = "Strength of the implicit KL constraint (default: from --preset).")
    Double beta;

    @Option(names = "--loss", paramLabel = "sigmoid|ipo", description = "Loss type (default ${bundle:default.DpoConfig.lossType}).")
    String loss;

    @Option(names = "--label-smoothing", paramLabel = "X", description = "Conservative DPO's assumed label-noise rate in [0, 0.5) (default ${bundle:default.DpoConfig.labelSmoothing}).")
    Double labelSmoothing;

    @Option(names = "--reference-free", description = "Use a uniform reference (no reference log-probabilities).")
    Boolean referenceFree;

    @Override
    public Integer call() throws IOException {
        DpoConfig config = config();
        List<PreferencePair> pairs = new ArrayList<>();
        for (RankedResponses r : options.readData()) {
            pairs.addAll(r.pairs());
        }
        if (pairs.isEmpty()) {
            throw new BadInputException("--data " + options.data + ": no preference pairs (every ranking is tied)");
        }
        try (LoadedModel loaded = options.loadModel()) {
            DpoTrainer trainer = new DpoTrainer(loaded, config, options.metricsSink()).onStep(Progress.bar("dpo", "pairs"));
            DpoTrainer.Result result;
            try {
                result = trainer.train(pairs, options.output.out);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage(), e);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", result.steps());
            summary.putAll(result.lastMetrics());
            summary.put("model", result.model().toString());
            JsonLine.print(spec, summary);
        }
        return 0;
    }

    /** The config of this invocation: the preset's values, with every option given explicitly overriding its own. */
    DpoConfig config() {
        DpoConfigBuilder c = DpoConfigBuilder.builder(options.preset.preset().dpo());
        try {
            Overlay.set(loss, v -> c.lossType(DpoLossType.parse(v)));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--loss: " + e.getMessage());
        }
        return Overlay.build(() -> {
            Overlay.set(beta, c::beta);
            Overlay.set(labelSmoothing, c::labelSmoothing);
            Overlay.set(referenceFree, c::referenceFree);
            options.overlay(c::learningRate, c::batchSize, c::epochs, c::maxLength, c::seed, c::maxSteps, c::warmupRatio);
            return c.build();
        });
    }
}
