package dev.rlhf.trainer.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.RankedResponses.PreferencePair;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.align.ppo.Advantage;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.DecodingSession;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.sft.SftLoss;
import dev.rlhf.trainer.sft.TokenizedExample;
import dev.rlhf.trainer.training.AdamW;
import dev.rlhf.trainer.training.MetricsSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

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

    /** Timed repeats behind each cached decoding figure, of which the median is reported (as bench/peer_pytorch.py). */
    public static final int DECODE_REPEATS = 5;

    /** Decoding steps run before any decoding is timed: enough for the JIT to compile the per-token path. */
    public static final int DECODE_WARM_UP_STEPS = 2000;

    /** Runs {@link #DECODE_WARM_UP_STEPS} cached steps and a few uncached ones, untimed. */
    public static void warmUpDecoding(LlamaModel model, int context, int steps) {
        for (int done = 0; done < DECODE_WARM_UP_STEPS; done += steps) {
            decode(model, context, steps, true, 1);
        }
        decode(model, context, steps, false, 1);
    }

    /** The median of {@code repeats} cached, batch-1 {@link #decode} measurements. */
    public static DecodeResult decodeMedian(LlamaModel model, int context, int steps, int repeats) {
        List<DecodeResult> results = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            results.add(decode(model, context, steps, true, 1));
        }
        results.sort(Comparator.comparingDouble(DecodeResult::msPerToken));
        return results.get(repeats / 2);
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
            NDArray logits = session.prefill(prompts);
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                // The argmax where the logits are, then one small copy per step: as the peer's argmax and item().
                int[] next = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
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

    // ---------------------------------------------------------------- alignment

    /**
     * PPO speed on one policy.
     *
     * @param responsesPerRollout    responses sampled per rollout ({@code prompts x samples})
     * @param maxNewTokens           response length limit
     * @param miniBatchSize          responses per optimizer step
     * @param rollouts               timed rollouts (after {@link #PPO_WARM_UP_ROLLOUTS} untimed warm-up rollouts with their updates)
     * @param rolloutTokensPerSecond response tokens per second of rollout: sampling with the KV cache,
     *                               the actor's, reference's and critic's forward passes, reward-model
     *                               scoring and GAE
     * @param secondsPerUpdate       mean wall time of one optimizer step (actor and critic forward,
     *                               backward, gradient clipping and AdamW; the actor alone for RLOO and GRPO)
     * @param advantage              the advantage estimator (GAE holds a critic, RLOO and GRPO do not)
     * @param modelsHeld             models in memory during the run (actor, reference, reward model, and the critic for GAE)
     * @param parametersHeld         parameters of those models together
     * @param trainedParameters      parameters with gradients and AdamW moments (the actor's, plus the critic's for GAE)
     * @param peakRssBytes           the process's peak resident memory during the run (reset before it, see
     *                               {@link PeakMemory}); -1 where the kernel does not report it
     */
    public record PpoResult(int responsesPerRollout, int maxNewTokens, int miniBatchSize, int rollouts,
                            double rolloutTokensPerSecond, double secondsPerUpdate, Advantage advantage, int modelsHeld,
                            long parametersHeld, long trainedParameters, long peakRssBytes) {}

    /**
     * Training throughput of a preference trainer, optimizer steps only (tokenization, and DPO's
     * one reference pass, come before the first step and are not timed; the first step is the warm-up).
     *
     * @param pairs           preference pairs in the timed steps
     * @param steps           timed optimizer steps
     * @param pairsPerSecond  pairs per second of those steps
     * @param meanTokens      mean tokens of a prompt + response sequence
     * @param stepsPerSecond  optimizer steps per second of the timed steps
     * @param peakMemoryMib   most memory in use after a timed step: on a GPU the device's memory in use (the allocator's
     *                        cache included), on the CPU the process's resident set (which includes what earlier
     *                        benchmarks of the run left allocated); NaN where neither can be read
     * @param memoryGrowthMib {@code peakMemoryMib} less the same reading before the trainer's model was loaded
     */
    public record PreferenceResult(long pairs, int steps, double pairsPerSecond, double meanTokens, double stepsPerSecond,
                                   double peakMemoryMib, double memoryGrowthMib) {}

    /**
     * Untimed PPO rollouts (with their updates) before the timed ones. The JVM is still compiling the
     * rollout's code after one: the compiler's time during each of the rollouts that followed one warm-up
     * rollout fell 1.9 s, 0.9 s, 0.4 s, 0.1 s (CompilationMXBean, a loaded machine), and on two cores a
     * compiler thread takes a core from libtorch's two threads. The peer (bench/peer_pytorch.py) warms up
     * as many, so both sides time the same work.
     */
    static final int PPO_WARM_UP_ROLLOUTS = 3;

    /**
     * PPO with the policy at {@code model} as actor and reference, and as the trunk of the critic and
     * the reward model (value heads initialised as the reward trainer does: the speed does not depend
     * on the weights). Story openings the policy writes itself are the prompts; each rollout samples
     * {@code samplesPerPrompt} responses of up to {@code maxNewTokens} tokens to {@code prompts} prompts.
     */
    public static PpoResult ppo(Path model, Path tokenizer, Device device, int prompts, int samplesPerPrompt,
                                int maxNewTokens, int miniBatches, int rollouts) throws IOException {
        return ppo(model, tokenizer, device, prompts, samplesPerPrompt, maxNewTokens, miniBatches, rollouts, Advantage.GAE);
    }

    /**
     * As {@link #ppo(Path, Path, Device, int, int, int, int, int)} with {@code advantage}: the critic-free
     * RLOO and GRPO load no critic, so the same prompts, seed and batching show what the critic costs.
     * The peak resident memory is reset before the models load.
     */
    public static PpoResult ppo(Path model, Path tokenizer, Device device, int prompts, int samplesPerPrompt,
                                int maxNewTokens, int miniBatches, int rollouts, Advantage advantage) throws IOException {
        int responses = prompts * samplesPerPrompt;
        List<LoadedModel> loaded = new ArrayList<>();
        Path out = Files.createTempDirectory("rlhf-bench-ppo");
        boolean withCritic = advantage.needsCritic();
        System.gc(); // the previous benchmark's garbage should not count towards this one's peak
        boolean peakReset = PeakMemory.reset();
        try {
            for (int i = 0; i < (withCritic ? 4 : 3); i++) {
                loaded.add(ModelLoader.load(model, tokenizer, device));
            }
            LlamaModel reward = loaded.getLast().model();
            LlamaModel critic = withCritic ? loaded.get(2).model() : null;
            if (critic != null) {
                RewardTrainer.initialiseValueHead(critic, 1);
            }
            RewardTrainer.initialiseValueHead(reward, 1);
            long parametersHeld = 0;
            for (LoadedModel m : loaded) {
                parametersHeld += parameterCount(m.model());
            }
            long trainedParameters = parameterCount(loaded.get(0).model()) + (critic == null ? 0 : parameterCount(critic));
            // Warm-up and timed rollouts on different prompts, as the peer's (each rollout's sampling is seeded by its index).
            List<String> openings = openings(loaded.get(0), prompts * (PPO_WARM_UP_ROLLOUTS + rollouts), 3L);
            List<String> warmUpPrompts = openings.subList(0, prompts * PPO_WARM_UP_ROLLOUTS);
            List<String> timedPrompts = openings.subList(prompts * PPO_WARM_UP_ROLLOUTS, openings.size());
            PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(responses).numMiniBatches(miniBatches).ppoEpochs(1)
                    .maxNewTokens(maxNewTokens).ptxCoef(0.0).advantage(advantage));
            PpoRunConfig run = PpoRunConfig.defaults().with(b -> b.numSamples(samplesPerPrompt).checkpointEvery(0).ppo(ppo));
            try (PpoModels models = new PpoModels(loaded.get(0).model(), loaded.get(1).model(), critic,
                    new ValueHeadRewardSource(reward, loaded.getLast().tokenizer(), responses), loaded.get(0).tokenizer(),
                    List.copyOf(loaded))) {
                int modelsHeld = loaded.size();
                loaded.clear(); // owned by the models now
                new PpoTrainer(models, run.withMaxSteps(run.stepsPerRollout() * PPO_WARM_UP_ROLLOUTS).withEpochs(1),
                        MetricsSink.none()).train(warmUpPrompts, null, out.resolve("warm-up"), false);
                PpoTrainer.Result r = new PpoTrainer(models, run.withMaxSteps(run.stepsPerRollout() * rollouts).withEpochs(1), MetricsSink.none())
                        .train(timedPrompts, null, out.resolve("timed"), false);
                return new PpoResult(responses, maxNewTokens, ppo.miniBatchSize(), rollouts, r.rolloutTokensPerSecond(),
                        r.secondsPerUpdate(), advantage, modelsHeld, parametersHeld, trainedParameters,
                        peakReset ? PeakMemory.peakBytes() : -1);
            }
        } finally {
            for (LoadedModel m : loaded) {
                m.close();
            }
            deleteRecursively(out);
        }
    }

    /**
     * Tokens per second of a PPO rollout's sampling alone: {@code prompts} story openings (as
     * {@link #ppo}'s), {@code samplesPerPrompt} responses each of up to {@code maxNewTokens} tokens at
     * temperature 1 with the KV cache, one untimed warm-up run, then {@code runs} timed.
     */
    public static double rolloutGenerationTokensPerSecond(LoadedModel policy, int prompts, int samplesPerPrompt,
                                                          int maxNewTokens, int runs) {
        List<String> openings = openings(policy, prompts, 3L);
        Generator generator = new Generator(new LlamaLanguageModel(policy.model()), policy.tokenizer());
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(maxNewTokens).withNumSamples(samplesPerPrompt);
        generator.generate(openings, config.withSeed(0L));
        long tokens = 0;
        long start = System.nanoTime();
        for (int r = 1; r <= runs; r++) {
            for (GeneratedSample s : generator.generate(openings, config.withSeed((long) r))) {
                tokens += s.tokenIds().length;
            }
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Rankings for the preference benchmarks: {@code prompts} story openings the policy writes, each
     * with {@code k} continuations of up to {@code tokens} tokens in a seeded random full order (the
     * content does not change the speed; a full order gives every ranking k(k-1)/2 pairs).
     */
    public static List<RankedResponses> rankings(LoadedModel policy, int prompts, int k, int tokens) {
        List<String> openings = openings(policy, prompts, 5L);
        Generator generator = new Generator(new LlamaLanguageModel(policy.model()), policy.tokenizer());
        List<GeneratedSample> samples = generator.generate(openings,
                GenerationConfig.defaults().withMaxNewTokens(tokens).withNumSamples(k).withSeed(6L));
        Random random = new Random(7);
        List<RankedResponses> out = new ArrayList<>();
        for (int p = 0; p < openings.size(); p++) {
            List<String> responses = new ArrayList<>();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                responses.add(samples.get(p * k + i).completion());
                order.add(i);
            }
            Collections.shuffle(order, random);
            out.add(new RankedResponses(openings.get(p), responses, Ranking.of(order.stream().mapToInt(Integer::intValue).toArray())));
        }
        return out;
    }

    /** Reward-model training (K-way loss, every ranking's pairs in one batch element) on {@code rankings}. */
    public static PreferenceResult rewardModel(Path model, Path tokenizer, Device device, List<RankedResponses> rankings,
                                               int batchSize, int steps) throws IOException {
        Path out = Files.createTempDirectory("rlhf-bench-rm");
        StepTimer timer = new StepTimer(device);
        try (LoadedModel loaded = ModelLoader.load(model, tokenizer, device)) {
            RewardModelConfig config = RewardModelConfig.defaults().withBatchSize(batchSize).withMaxSteps(steps)
                    .withMaxLength(128).withLearningRate(1e-4);
            new RewardTrainer(loaded, config, MetricsSink.none()).onStep(timer::afterStep).train(rankings, List.of(), out);
            return timer.result(meanTokens(loaded, rankings));
        } finally {
            deleteRecursively(out);
        }
    }

    /** DPO training on the ordered pairs of {@code rankings} (reference log-probabilities precomputed, untimed). */
    public static PreferenceResult dpo(Path model, Path tokenizer, Device device, List<RankedResponses> rankings,
                                       int batchSize, int steps) throws IOException {
        List<PreferencePair> pairs = new ArrayList<>();
        rankings.forEach(r -> pairs.addAll(r.pairs()));
        Path out = Files.createTempDirectory("rlhf-bench-dpo");
        StepTimer timer = new StepTimer(device);
        try (LoadedModel loaded = ModelLoader.load(model, tokenizer, device)) {
            DpoConfig config = DpoConfig.defaults().withBatchSize(batchSize).withMaxSteps(steps).withMaxLength(128)
                    .withLearningRate(1e-4);
            new DpoTrainer(loaded, config, MetricsSink.none()).onStep(timer::afterStep).train(pairs, out);
            return timer.result(meanTokens(loaded, rankings));
        } finally {
            deleteRecursively(out);
        }
    }

    /**
     * KTO training on the rankings unpaired as the kto export does (each ranking's best response desirable, its worst
     * undesirable); every example also scores a mismatched pair for the KL reference point, so a step reads 2 sequences
     * per example as DPO reads 2 per pair (reference log-probabilities precomputed, untimed).
     */
    public static PreferenceResult kto(Path model, Path tokenizer, Device device, List<RankedResponses> rankings,
                                       int batchSize, int steps) throws IOException {
        List<KtoExample> examples = KtoExample.unpaired(rankings);
        Path out = Files.createTempDirectory("rlhf-bench-kto");
        StepTimer timer = new StepTimer(device);
        try (LoadedModel loaded = ModelLoader.load(model, tokenizer, device)) {
            KtoConfig config = KtoConfig.defaults().withBatchSize(Math.max(batchSize, 2)).withMaxSteps(steps).withMaxLength(128)
                    .withLearningRate(1e-4);
            new KtoTrainer(loaded, config, MetricsSink.none()).onStep(timer::afterStep).train(examples, out);
            return timer.result(meanTokens(loaded, rankings));
        } finally {
            deleteRecursively(out);
        }
    }

    /** Pairs (or examples) and time of steps 2..n (step 1 warms up), and the memory in use after each. */
    private static final class StepTimer {
        private final Device device;
        private final double baselineMib;
        private double peakMib = Double.NaN;
        private long start;
        private long end;
        private long pairs;
        private int steps;

        StepTimer(Device device) {
            this.device = device;
            this.baselineMib = memoryInUseMib(device);
        }

        void afterStep(int step, int total, long stepPairs) {
            end = System.nanoTime();
            double now = memoryInUseMib(device);
            peakMib = Double.isNaN(peakMib) ? now : Math.max(peakMib, now);
            if (step == 1) {
                start = end;
                return;
            }
            pairs += stepPairs;
            steps++;
        }

        PreferenceResult result(double meanTokens) {
            double seconds = (end - start) / 1e9;
            return new PreferenceResult(pairs, steps, seconds > 0 ? pairs / seconds : Double.NaN, meanTokens,
                    seconds > 0 ? steps / seconds : Double.NaN, peakMib, peakMib - baselineMib);
        }
    }

    /** Memory in use now, in MiB: the GPU's (device-wide) for a GPU, else this process's resident set (Linux); NaN if unknown. */
    static double memoryInUseMib(Device device) {
        if (device.isGpu()) {
            java.lang.management.MemoryUsage usage = ai.djl.util.cuda.CudaUtils.getGpuMemory(device);
            return usage.getUsed() / (1024.0 * 1024.0);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN; // not Linux: no resident-set reading
        }
        return Double.NaN;
    }

    private static double meanTokens(LoadedModel loaded, List<RankedResponses> rankings) {
        long tokens = 0;
        long sequences = 0;
        for (RankedResponses r : rankings) {
            for (String response : r.responses()) {
                tokens += loaded.tokenizer().encode(r.prompt() + response).length + 1; // + EOS
                sequences++;
            }
        }
        return tokens / (double) Math.max(sequences, 1);
    }

    /** Story openings of 12 tokens the policy writes from BOS, seeded (as the learning tests' prompts). */
    private static List<String> openings(LoadedModel policy, int count, long seed) {
        Generator generator = new Generator(new LlamaLanguageModel(policy.model()), policy.tokenizer());
        return generator.generate(Collections.nCopies(count, ""), GenerationConfig.defaults().withMaxNewTokens(12).withSeed(seed))
                .stream().map(GeneratedSample::completion).toList();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Elements of every parameter of {@code model}. */
    static long parameterCount(LlamaModel model) {
        long n = 0;
        for (var p : model.parameters().values()) {
            n += p.getShape().size();
        }
        return n;
    }
}
