package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Work inside {@link NativeThreads} runs on one thread; afterwards the enclosing setting is back. */
class NativeThreadsTest {

    @Test
    void mklOnOneThreadInsideThenTheEnclosingSettingAgain() {
        assumeTrue(NativeThreads.mklMaxThreads().isPresent(), "this libtorch has no MKL");

        List<Integer> seen = NativeThreads.onThreads(2, false, () -> List.of(
                NativeThreads.mklMaxThreads().orElseThrow(),
                NativeThreads.onOneMklThread(() -> NativeThreads.mklMaxThreads().orElseThrow()),
                NativeThreads.mklMaxThreads().orElseThrow()));

        assertThat(seen).containsExactly(2, 1, 2);
    }

    @Test
    void libtorchSeesOneThreadInsideOnlyOnTheCallingThread() {
        Engine.getEngine("PyTorch");
        assumeTrue(NativeThreads.ompMaxThreads().isPresent(), "this libtorch has no OpenMP");
        int otherThreadBefore = onAnotherThread(JniUtils::getNumThreads);

        List<Integer> seen = NativeThreads.onThreads(2, true, () -> List.of(
                NativeThreads.onOneThread(JniUtils::getNumThreads),
                NativeThreads.onOneThread(() -> NativeThreads.mklMaxThreads().orElse(1)),
                NativeThreads.onOneThread(() -> onAnotherThread(JniUtils::getNumThreads)),
                JniUtils.getNumThreads()));

        assertThat(seen).containsExactly(1, 1, otherThreadBefore, 2);
    }

    private static int onAnotherThread(java.util.function.IntSupplier read) {
        int[] value = new int[1];
        Thread other = new Thread(() -> value[0] = read.getAsInt());
        other.start();
        try {
            other.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return value[0];
    }
}
