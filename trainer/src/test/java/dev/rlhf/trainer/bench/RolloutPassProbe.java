package dev.rlhf.trainer.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.ppo.Entropy;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.MklDispatch;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Not a test (surefire runs *Test): the PPO rollout's scoring passes one by one at the bench's shapes (16 rows of
 * 66 tokens per actor, reference and critic pass, 64 rows of 67 for the reward model), each repeated at the same
 * shape, printing the median and least wall time and CPU time of the calling thread. At one thread the CPU time is
 * the work done, which a loaded machine disturbs far less than the wall time. {@code bench/peer_rollout_passes.py}
 * runs the same passes in PyTorch eager. Run: {@code ./mvnw -B -o -pl trainer -am test -Dtest=RolloutPassProbe
 * -Dsurefire.failIfNoSpecifiedTests=false -Dai.djl.pytorch.num_threads=1}.
 */
class RolloutPassProbe {

    private static final int REPEATS = 20;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void run() throws Exception {
        MklDispatch.dispatchOnFeatures(); // as the trainer's main does, before PyTorch loads
        try (LoadedModel policy = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
             LoadedModel critic = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            LlamaModel actor = policy.model();
            LlamaModel valued = critic.model();
            RewardTrainer.initialiseValueHead(valued, 1);
            Random random = new Random(1);
            float[][] chunk = batch(16, 66, random);
            float[][] all = batch(64, 67, random);
            time("reference pass 16x66", () -> {
                try (NDManager step = actor.manager().newSubManager()) {
                    NDArray[] b = arrays(step, chunk, 16, 66);
                    NDArray logits = actor.logits(actor.hiddenStates(b[0], b[1], null, null));
                    SequenceLogprobs.ofSequence(logits, b[0], b[2]).perToken().toFloatArray();
                }
            });
            time("actor pass with entropy", () -> {
                try (NDManager step = actor.manager().newSubManager()) {
                    NDArray[] b = arrays(step, chunk, 16, 66);
                    NDArray logits = actor.logits(actor.hiddenStates(b[0], b[1], null, null));
                    NDIndex next = new NDIndex(":, 1:");
                    NDArray logp = logits.get(":, :-1, :").logSoftmax(-1);
                    SequenceLogprobs.perTokenOfLogprobs(logp, b[0].get(next), b[2].get(next)).toFloatArray();
                    Masked.sum(Entropy.ofLogprobs(logp), b[2].get(next), 1).sum().getFloat();
                }
            });
            time("critic pass 16x66", () -> {
                try (NDManager step = valued.manager().newSubManager()) {
                    NDArray[] b = arrays(step, chunk, 16, 66);
                    valued.values(valued.hiddenStates(b[0], b[1], null, null)).get(":, :-1").toFloatArray();
                }
            });
            time("reward pass 64x67", () -> {
                try (NDManager step = valued.manager().newSubManager()) {
                    NDArray[] b = arrays(step, all, 64, 67);
                    int[] last = new int[64];
                    Arrays.fill(last, 66);
                    valued.valuesAt(valued.hiddenStates(b[0], b[1], null, null), last).toFloatArray();
                }
            });
        }
    }

    /** Token ids, key mask (all real) and response mask (from token 13, the bench's prompt length) as host arrays. */
    private static float[][] batch(int rows, int width, Random random) {
        float[] tokens = new float[rows * width];
        float[] keyMask = new float[rows * width];
        float[] response = new float[rows * width];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 1 + random.nextInt(500);
            keyMask[i] = 1;
            response[i] = i % width >= 13 ? 1 : 0;
        }
        return new float[][] {tokens, keyMask, response};
    }

    private static NDArray[] arrays(NDManager step, float[][] b, int rows, int width) {
        Shape shape = new Shape(rows, width);
        return new NDArray[] {step.create(b[0], shape).toType(DataType.INT64, false), step.create(b[1], shape),
                step.create(b[2], shape)};
    }

    private static void time(String name, Runnable pass) {
        for (int i = 0; i < 5; i++) {
            pass.run();
        }
        double[] wall = new double[REPEATS];
        double[] cpu = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            long start = System.nanoTime();
            long startCpu = THREADS.getCurrentThreadCpuTime();
            pass.run();
            wall[i] = (System.nanoTime() - start) / 1e6;
            cpu[i] = (THREADS.getCurrentThreadCpuTime() - startCpu) / 1e6;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        System.out.printf("PASS %-26s wall median %7.2f least %7.2f | cpu median %7.2f least %7.2f ms%n", name,
                wall[REPEATS / 2], wall[0], cpu[REPEATS / 2], cpu[0]);
    }
}
