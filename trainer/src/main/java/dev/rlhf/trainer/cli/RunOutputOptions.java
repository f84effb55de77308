package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --out} and {@code --metrics}, a mixin of the training commands ({@code sft}, {@code reward}, {@code dpo}, {@code ppo}). */
public class RunOutputOptions {

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output directory: the trained model goes to DIR/model, resumable state (sft, ppo) to DIR/resume.")
    Path out;

    @Option(names = "--metrics", paramLabel = "PATH", description = "JSONL metrics, one object per optimizer step.")
    Path metrics;

    MetricsSink metricsSink() {
        return metrics == null ? MetricsSink.none() : MetricsSink.jsonl(metrics);
    }
}
