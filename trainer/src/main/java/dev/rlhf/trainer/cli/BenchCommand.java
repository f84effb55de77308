package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.align.ppo.Advantage;
import dev.rlhf.trainer.bench.Benchmarks;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.model.LlamaConfig;
import java.io.PrintWriter;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code trainer bench}: generation tokens/s with and without the KV cache at several context
 * lengths (on {@code --model}); on {@code --model} as the policy, PPO rollout tokens/s (whole rollout,
 * and its sampling alone) and time per optimizer step, DPO pairs/s, KTO examples/s (with steps/s and memory in use) and
 * reward-model training pairs/s; SFT training tokens/s and GFLOP/s of
 * a freshly initialised model of {@code --width}, and that as a fraction of the engine's measured
 * matrix-multiply throughput. One JSON line per measurement on stdout.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure generation and training throughput on this machine.",
            "--model is the model of the generation benchmark, and the policy of the PPO, DPO, KTO and reward-model ones."})
public class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--contexts", defaultValue = "64,256,512", split = ",", description = "Context lengths (default ${DEFAULT-VALUE}).")
    List<Integer> contexts;

    @Option(names = "--decode-steps", defaultValue = "32", description = "Timed decoding steps per context (default ${DEFAULT-VALUE}).")
    int decodeSteps;

    @Option(names = "--width", defaultValue = "256", description = "Width of the model trained for the SFT benchmark (default ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--layers", defaultValue = "4", description = "Blocks of that model (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--batch-size", defaultValue = "8", description = "Training batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "256", description = "Training sequence length (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--matmul-size", defaultValue = "2048", description = "Square matrix size of the matmul yardstick (default ${DEFAULT-VALUE}).")
    int matmulSize;

    @Option(names = "--alignment", defaultValue = "true", arity = "1", paramLabel = "true|false",
            description = "Run the PPO, DPO, KTO and reward-model benchmarks (default ${DEFAULT-VALUE}).")
    boolean alignment;

    @Option(names = "--ppo-prompts", defaultValue = "16", description = "Prompts per PPO rollout (default ${DEFAULT-VALUE}).")
    int ppoPrompts;

    @Option(names = "--ppo-samples", defaultValue = "4", description = "Responses per prompt in PPO rollouts (default ${DEFAULT-VALUE}).")
    int ppoSamples;

    @Option(names = "--ppo-new-tokens", defaultValue = "53", description = "PPO response length, TRL's default (default ${DEFAULT-VALUE}).")
    int ppoNewTokens;

    @Option(names = "--ppo-mini-batches", defaultValue = "4", description = "PPO minibatches per rollout (default ${DEFAULT-VALUE}).")
    int ppoMiniBatches;

    // Eight, not two: a timed window of about a second swung 0.8x-1.5x between rounds on a shared 2-core VM (docs/benchmarks.md).
    @Option(names = "--ppo-rollouts", defaultValue = "8", description = "Timed PPO rollouts after three warm-up rollouts (default ${DEFAULT-VALUE}).")
    int ppoRollouts;

    @Option(names = "--generation-runs", defaultValue = "8",
            description = "Timed runs of the rollout-generation benchmark after one warm-up run (default ${DEFAULT-VALUE}).")
    int generationRuns;

    @Option(names = "--preference-rankings", defaultValue = "64",
            description = "Rankings of 4 sampled continuations for the DPO, KTO and reward-model benchmarks (default ${DEFAULT-VALUE}).")
    int preferenceRankings;

    @Option(names = "--preference-tokens", defaultValue = "32", description = "Length of those continuations (default ${DEFAULT-VALUE}).")
    int preferenceTokens;

    @Option(names = "--preference-batch", defaultValue = "16",
            description = "DPO pairs, KTO examples, or reward-model rankings, per optimizer step (default ${DEFAULT-VALUE}).")
    int preferenceBatch;

    @Option(names = "--preference-steps", defaultValue = "9",
            description = "Optimizer steps of each preference benchmark; the first is not timed (default ${DEFAULT-VALUE}).")
    int preferenceSteps;

    @Mixin
    DeviceOption device;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws Exception {
        Device target = device.device();
        PrintWriter out = spec.commandLine().getOut();
        var json = JsonMapper.builder().build();
        LoadedModel loaded = modelOptions.load(target);
        try (loaded) {
            // Warm up the JIT and the engine's kernels before anything is timed.
            int warmContext = Math.min(loaded.model().config().maxSeqLen(), Math.max(decodeSteps * 2, 64));
            Benchmarks.warmUpDecoding(loaded.model(), warmContext, decodeSteps);
            for (int context : contexts) {
                if (context <= decodeSteps || context > loaded.model().config().maxSeqLen()) {
                    throw new BadInputException("--contexts " + context + ": must exceed --decode-steps and fit the model's "
                            + loaded.model().config().maxSeqLen() + " tokens");
                }
                for (boolean cache : new boolean[] {true, false}) {
                    Benchmarks.decode(loaded.model(), context, 4, cache, 1); // warm-up
                    // The cached rows are compared with PyTorch (bench.sh peer): a median of repeats, as there.
                    Benchmarks.DecodeResult r = cache
                            ? Benchmarks.decodeMedian(loaded.model(), context, decodeSteps, Benchmarks.DECODE_REPEATS)
                            : Benchmarks.decode(loaded.model(), context, decodeSteps, false, 1);
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("benchmark", "generate");
                    line.put("context", context);
                    line.put("kv_cache", cache);
                    line.put("ms_per_token", r.msPerToken());
                    line.put("tokens_per_second", r.tokensPerSecond());
                    out.println(json.writeValueAsString(line));
                    out.flush();
                }
            }
            if (alignment) {
                alignmentBenchmarks(loaded, target, out);
            }
        }
        Benchmarks.MatmulResult matmul = Benchmarks.matmulGflops(target, matmulSize, 5);
        LlamaConfig trained = LlamaConfig.of(width, width * 8 / 3 / 32 * 32 + 32, layers, Math.max(1, width / 64),
                Math.max(1, width / 64), 512, Math.max(512, seqLen), true);
        Benchmarks.TrainResult t = Benchmarks.train(trained, target, batchSize, seqLen, 2, 5);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("benchmark", "sft");
        line.put("width", width);
        line.put("layers", layers);
        line.put("parameters", trained.parameterCount());
        line.put("batch_size", batchSize);
        line.put("seq_len", seqLen);
        line.put("tokens_per_second", t.tokensPerSecond());
        line.put("gflops_per_second", t.gflopsPerSecond());
        line.put("matmul_gflops_per_second", matmul.gflopsPerSecond());
        line.put("fraction_of_matmul", t.gflopsPerSecond() / matmul.gflopsPerSecond());
        // The same ratio per CPU-second: meaningful even when other processes share the machine.
        line.put("gflops_per_cpu_second", t.gflopsPerCpuSecond());
        line.put("matmul_gflops_per_cpu_second", matmul.gflopsPerCpuSecond());
        line.put("fraction_of_matmul_cpu", t.gflopsPerCpuSecond() / matmul.gflopsPerCpuSecond());
        out.println(json.writeValueAsString(line));
        out.flush();
        return 0;
    }

    /** PPO, DPO, KTO and reward-model training speed (and the memory in use) with {@code --model} as the policy. */
    private void alignmentBenchmarks(LoadedModel policy, Device target, PrintWriter out) throws Exception {
        var json = JsonMapper.builder().build();
        Benchmarks.PpoResult ppo = null;
        Map<String, Object> line;
        // PPO (GAE, with a critic), then the critic-free RLOO and GRPO on the same prompts, seed and batching
        for (Advantage advantage : Advantage.values()) {
            Benchmarks.PpoResult r = Benchmarks.ppo(modelOptions.model, modelOptions.tokenizer, target, ppoPrompts, ppoSamples,
                    ppoNewTokens, ppoMiniBatches, ppoRollouts, advantage);
            ppo = ppo == null ? r : ppo;
            line = new LinkedHashMap<>();
            line.put("benchmark", advantage == Advantage.GAE ? "ppo" : advantage.name().toLowerCase(java.util.Locale.ROOT));
            line.put("responses_per_rollout", r.responsesPerRollout());
            line.put("max_new_tokens", r.maxNewTokens());
            line.put("mini_batch_size", r.miniBatchSize());
            line.put("timed_rollouts", r.rollouts());
            line.put("rollout_tokens_per_second", r.rolloutTokensPerSecond());
            line.put("seconds_per_update", r.secondsPerUpdate());
            line.put("updates_per_second", 1 / r.secondsPerUpdate());
            line.put("models_held", r.modelsHeld());
            line.put("parameters_held", r.parametersHeld());
            line.put("trained_parameters", r.trainedParameters());
            // float32 weights of every model, plus gradients and AdamW's two moments of the trained ones (trainer/README.md)
            line.put("model_state_bytes", 4 * r.parametersHeld() + 12 * r.trainedParameters());
            line.put("peak_rss_bytes", r.peakRssBytes());
            out.println(json.writeValueAsString(line));
            out.flush();
        }

        line = new LinkedHashMap<>();
        line.put("benchmark", "rollout_generation");
        line.put("responses", ppo.responsesPerRollout());
        line.put("max_new_tokens", ppo.maxNewTokens());
        line.put("tokens_per_second", Benchmarks.rolloutGenerationTokensPerSecond(policy, ppoPrompts, ppoSamples,
                ppoNewTokens, generationRuns));
        out.println(json.writeValueAsString(line));
        out.flush();

        var rankings = Benchmarks.rankings(policy, preferenceRankings, 4, preferenceTokens);
        for (String which : List.of("dpo", "kto", "reward_model")) {
            Benchmarks.PreferenceResult r = switch (which) {
                case "dpo" -> Benchmarks.dpo(modelOptions.model, modelOptions.tokenizer, target, rankings, preferenceBatch, preferenceSteps);
                case "kto" -> Benchmarks.kto(modelOptions.model, modelOptions.tokenizer, target, rankings, preferenceBatch, preferenceSteps);
                default -> Benchmarks.rewardModel(modelOptions.model, modelOptions.tokenizer, target, rankings, preferenceBatch, preferenceSteps);
            };
            boolean kto = which.equals("kto");
            line = new LinkedHashMap<>();
            line.put("benchmark", which);
            line.put("batch", preferenceBatch + switch (which) {
                case "dpo" -> " pairs";
                case "kto" -> " examples (each with a mismatched pair)";
                default -> " rankings of 4";
            });
            line.put("mean_sequence_tokens", r.meanTokens());
            line.put("timed_steps", r.steps());
            line.put(kto ? "examples" : "pairs", r.pairs());
            line.put(kto ? "examples_per_second" : "pairs_per_second", r.pairsPerSecond());
            line.put("steps_per_second", r.stepsPerSecond());
            line.put("peak_memory_mib", r.peakMemoryMib());
            line.put("memory_growth_mib", r.memoryGrowthMib());
            out.println(json.writeValueAsString(line));
            out.flush();
        }
    }
}
