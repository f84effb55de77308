package dev.rlhf.trainer.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.generation.DecodingSession;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.sft.SftLoss;
import dev.rlhf.trainer.sft.TokenizedExample;
import dev.rlhf.trainer.training.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Throughput measurements through the same engine the trainer uses: decoding speed with and
 * without the KV cache at several context lengths, training throughput, and the engine's
 * float32 matrix-multiply throughput as the yardstick for model FLOP utilisation.
 */
public final class Benchmarks {

    private Benchmarks() {}

    /** Decoding cost at one context length. */
    public record DecodeResult(int context, boolean kvCache, double msPerToken, double tokensPerSecond) {}

    /** Training throughput of one configuration. */
    public record TrainResult(LlamaConfig config, int batch, int seqLen, double tokensPerSecond,
                              double gflopsPerSecond, double gflopsPerCpuSecond, double flopsPerToken) {}

    /** Matrix-multiply throughput per wall-clock second and per second of process CPU time. */
    public record MatmulResult(double gflopsPerSecond, double gflopsPerCpuSecond) {}

    /**
     * CPU time of the whole process: per-CPU-second rates stay comparable when other work shares
     * the machine, which wall-clock rates do not.
     */
    static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    /**
     * Time per generated token when the sequence reaches {@code context} tokens: a prompt of
     * {@code context - steps} tokens, then {@code steps} single-token steps timed (prefill excluded).
     */
    public static DecodeResult decode(LlamaModel model, int context, int steps, boolean kvCache, int batch) {
        LlamaLanguageModel lm = new LlamaLanguageModel(model);
        Random random = new Random(1);
        int promptLength = context - steps;
        int[][] prompts = new int[batch][promptLength];
        for (int[] p : prompts) {
            p[0] = 1;
            for (int i = 1; i < p.length; i++) {
                p[i] = 3 + random.nextInt(model.config().vocabSize() - 3);
            }
        }
        try (DecodingSession session = lm.openSession(context, kvCache)) {
            float[][] logits = session.prefill(prompts);
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                int[] next = new int[batch];
                for (int r = 0; r < batch; r++) {
                    next[r] = argMax(logits[r]);
                }
                if (s < steps - 1) {
                    logits = session.step(next);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double perToken = seconds / Math.max(steps - 1, 1);
            return new DecodeResult(context, kvCache, perToken * 1000, batch / perToken);
        }
    }

    /**
     * Training throughput (forward, backward and AdamW update) on random tokens, after warm-up.
     * FLOPs per token follow the PaLM appendix / nanoGPT MFU estimate: 6N + 12 L d T.
     */
    public static TrainResult train(LlamaConfig config, Device device, int batch, int seqLen, int warmup, int steps) {
        try (LlamaModel model = LlamaModel.initialise(config, device, 7)) {
            model.setTrainable(name -> true);
            Random random = new Random(2);
            List<TokenizedExample> examples = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int[] ids = new int[seqLen + 1];
                ids[0] = 1;
                for (int i = 1; i < ids.length; i++) {
                    ids[i] = 3 + random.nextInt(config.vocabSize() - 3);
                }
                examples.add(new TokenizedExample(ids, 1));
            }
            Map<String, NDArray> parameters = new LinkedHashMap<>(model.parameters());
            try (AdamW optimizer = new AdamW(parameters, AdamW.Settings.defaults(), model.manager())) {
                long start = 0;
                long startCpu = 0;
                for (int s = 0; s < warmup + steps; s++) {
                    if (s == warmup) {
                        start = System.nanoTime();
                        startCpu = processCpuNanos();
                    }
                    try (NDManager scope = model.manager().newSubManager();
                         GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = SftLoss.meanNll(model, examples, scope);
                        collector.backward(loss);
                        loss.getFloat(); // wait for the step to finish
                    }
                    optimizer.step(1e-4f);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = Math.max((processCpuNanos() - startCpu) / 1e9, 1e-9);
                double tokens = (double) batch * seqLen * steps;
                double flopsPerToken = 6.0 * config.parameterCount() + 12.0 * config.nLayers() * config.dim() * seqLen;
                return new TrainResult(config, batch, seqLen, tokens / seconds, tokens * flopsPerToken / seconds / 1e9,
                        tokens * flopsPerToken / cpuSeconds / 1e9, flopsPerToken);
            }
        }
    }

    /** Best-of-several float32 matrix-multiply throughput of the engine, GFLOP/s. */
    public static MatmulResult matmulGflops(Device device, int size, int repeats) {
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray a = manager.randomNormal(new Shape(size, size));
            NDArray b = manager.randomNormal(new Shape(size, size));
            double best = 0;
            double bestCpu = 0;
            double flops = 2.0 * size * size * size;
            for (int r = 0; r < repeats + 1; r++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = a.get(scope, new ai.djl.ndarray.index.NDIndex("..."));
                    long start = System.nanoTime();
                    long startCpu = processCpuNanos();
                    NDArray c = x.matMul(b);
                    c.get(0, 0).getFloat(); // synchronise
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double cpuSeconds = Math.max((processCpuNanos() - startCpu) / 1e9, 1e-9);
                    if (r > 0) { // the first run warms up the kernels
                        best = Math.max(best, flops / seconds / 1e9);
                        bestCpu = Math.max(bestCpu, flops / cpuSeconds / 1e9);
                    }
                }
            }
            return new MatmulResult(best, bestCpu);
        }
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
