package dev.rlhf.trainer.cli;

import ai.djl.Device;

import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.reward.RewardScorer;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trainer score --model RM --data pairs.jsonl}: the reward model's pairwise accuracy on
 * preference data, printed as {@code {"n": pairs, "accuracy": share ordered correctly}} (equal
 * rewards count as wrong; rankings lines count every ordered pair, ties none).
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pairwise accuracy of a reward model on pairs or rankings; prints {\"n\", \"accuracy\"}.",
            "--model is a reward model checkpoint (with a value head)."})
public class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "JSONL pairs or rankings export lines.")
    Path data;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Sequences per forward pass (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Most tokens of prompt + response (default: the length the model was trained at, reward_max_length "
                    + "in its checkpoint, else its context).")
    Integer maxLength;

    @Mixin
    DeviceOption device;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new BadInputException("--batch-size must be >= 1, got " + batchSize);
        }
        if (maxLength != null && maxLength < 2) {
            throw new BadInputException("--max-length must be >= 2, got " + maxLength);
        }
        List<RankedResponses> rankings = TrainingOptions.readPreferences(data, "--data", modelOptions.chatTemplate());
        Device target = device.device();
        LoadedModel loaded = modelOptions.load(target);
        try (loaded) {
            if (!loaded.model().hasValueHead()) {
                throw new BadInputException("--model " + modelOptions.model + ": not a reward model (no value head); train one with 'reward'");
            }
            int length;
            try {
                length = maxLength != null ? Math.min(maxLength, loaded.model().config().maxSeqLen())
                        : ValueHeadRewardSource.trainedMaxLength(modelOptions.model, loaded.model());
            } catch (CheckpointException e) {
                throw new BadInputException("--model " + e.getMessage(), e);
            }
            RewardScorer.Accuracy accuracy = RewardScorer.accuracy(loaded.model(), loaded.tokenizer(), rankings, length, batchSize);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("n", accuracy.pairs());
            line.put("accuracy", accuracy.pairs() == 0 ? null : accuracy.accuracy());
            JsonLine.print(spec, line);
        }
        return 0;
    }
}
