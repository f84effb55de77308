package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.Llama2cCheckpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Gradients through a multiplication by a Java number survive a garbage collection between the
 * forward and the backward pass. With DJL's {@code mul(Number)} they did not: the scalar autograd
 * saved lived in a Java buffer that a GC freed, so the backward read reused memory (the cause of
 * identical PPO runs differing in longer runs; see {@link Scalars}).
 */
class ScalarsTest {

    @Test
    void gradientThroughAScalarFactorSurvivesAGarbageCollectionBeforeBackward() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = manager.create(new float[] {1f, 2f, -4f});
            x.setRequiresGradient(true);
            try (NDManager step = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Scalars.dividedBy(Scalars.times(x, 3.0), 0.5).sum(); // 6x
                    freeUnreachableJavaBuffersAndReuseTheirMemory();
                    collector.backward(y);
                }
                NDArray grad = x.getGradient();
                grad.attach(step);
                assertThat(grad.toFloatArray()).containsExactly(6f, 6f, 6f);
            }
        }
    }

    /**
     * stories260K's gradients (attention scaled by 1/sqrt(head_dim) on every layer) are the same, bit
     * for bit, whether or not a garbage collection falls between the forward and the backward pass.
     */
    @Test
    void modelGradientIsTheSameWithAGarbageCollectionBetweenForwardAndBackward() throws Exception {
        try (LlamaModel model = Llama2cCheckpoint.load(SharedData.stories260kModel(), Device.cpu())) {
            model.setTrainable(name -> true);
            Map<String, float[]> quiet = gradients(model, false);
            Map<String, float[]> collected = gradients(model, true);
            for (String name : quiet.keySet()) {
                assertThat(collected.get(name)).as(name).containsExactly(quiet.get(name));
            }
        }
    }

    private static Map<String, float[]> gradients(LlamaModel model, boolean collectGarbage) throws Exception {
        int[] story = {1, 403, 407, 261, 378, 432, 261, 400, 428};
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager step = model.manager().newSubManager()) {
            NDArray tokens = step.create(story).reshape(1, story.length);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = model.forward(tokens).logSoftmax(-1).get(":, :, 7").sum().neg();
                if (collectGarbage) {
                    freeUnreachableJavaBuffersAndReuseTheirMemory();
                }
                collector.backward(loss);
            }
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray grad = e.getValue().getGradient();
                grad.attach(step);
                out.put(e.getKey(), grad.toFloatArray());
                grad.subi(grad);
            }
        }
        return out;
    }

    /**
     * Runs the collector until direct buffers that nothing references are freed (their cleaner runs
     * after a GC), then allocates many small direct buffers holding another number, so that freed
     * memory, if anything still reads it, no longer holds what it held.
     */
    static List<ByteBuffer> freeUnreachableJavaBuffersAndReuseTheirMemory() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(i % 2 == 0 ? 4 : 8).order(ByteOrder.nativeOrder());
            b.putFloat(0, 1000f + i);
            reuse.add(b);
        }
        return reuse;
    }
}
