package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfigBuilder;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import java.io.IOException;
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
 * {@code trainer reward}: trains a reward model on {@code pairs} or {@code rankings} exports with the
 * K-way ranking loss ({@code --margin from-data}: each pair's own margin, Llama 2's margin loss). Writes {@code <out>/model} (value head included, rewards normalised to mean 0
 * on the training responses), metrics as JSONL, progress on stderr and a one-line JSON summary on stdout.
 */
@Command(name = "reward", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = "Train a reward model on rankings or preference pairs (K-way ranking loss).")
public class RewardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    TrainingOptions options;

    @Option(names = "--margin", paramLabel = "X|from-data", description = "Required reward gap in the pairwise loss, or from-data: each pair's "
            + "margin (pairs' \"margin\", a graded choice's strength, a rating difference; 0 where none) (default ${bundle:default.RewardModelConfig.margin}).")
    String margin;

    @Option(names = "--eval-data", paramLabel = "PATH", description = "Held-out pairs or rankings (default: --eval-fraction of the prompts of --data).")
    Path evalData;

    @Option(names = "--eval-fraction", paramLabel = "X", description = "Share of prompts held out without --eval-data (default ${bundle:default.RewardModelConfig.evalFraction}).")
    Double evalFraction;

    @Option(names = "--no-normalize", description = "Do not shift rewards to mean 0 on the training responses.")
    boolean noNormalize;

    @Override
    public Integer call() throws IOException {
        RewardModelConfig config = config();
        List<RankedResponses> train = options.readData();
        List<RankedResponses> eval = evalData == null ? null : TrainingOptions.readPreferences(evalData, "--eval-data",
                options.modelOptions.chatTemplate());
        try (LoadedModel loaded = options.loadModel()) {
            RewardTrainer trainer = new RewardTrainer(loaded, config, options.metricsSink()).onStep(Progress.bar("reward", "pairs"));
            RewardTrainer.Result result;
            try {
                result = trainer.train(train, eval, options.output.out);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage(), e);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("steps", result.steps());
            summary.put("loss", result.lastLoss());
            summary.put("accuracy", result.lastAccuracy());
            if (result.eval() != null && result.eval().pairs() > 0) {
                summary.put("eval_accuracy", result.eval().accuracy());
                summary.put("eval_pairs", result.eval().pairs());
            }
            summary.put("reward_offset", result.rewardOffset());
            summary.put("model", result.model().toString());
            JsonLine.print(spec, summary);
        }
        return 0;
    }

    /** The config of this invocation: the preset's values, with every option given explicitly overriding its own. */
    RewardModelConfig config() {
        return Overlay.build(() -> {
            RewardModelConfigBuilder c = RewardModelConfigBuilder.builder(options.preset.preset().reward());
            if ("from-data".equals(margin)) {
                c.marginFromData(true).margin(0.0);
            } else if (margin != null) {
                try {
                    c.margin(Double.parseDouble(margin)).marginFromData(false);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("margin must be a number or from-data, got " + margin);
                }
            }
            options.overlay(c::learningRate, c::batchSize, c::epochs, c::maxLength, c::seed, c::maxSteps, c::warmupRatio);
            if (noNormalize) {
                c.normalizeToMean(false);
            }
            Overlay.set(evalFraction, c::evalFraction);
            return c.build();
        });
    }
}
