package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Work inside {@link MklThreads#onOneThread} runs MKL on one thread; afterwards the setting is back. */
class MklThreadsTest {

    @Test
    void oneThreadInsideThenTheEnclosingSettingAgain() {
        assumeTrue(MklThreads.maxThreads().isPresent(), "this libtorch has no MKL");

        List<Integer> seen = MklThreads.onThreads(2, () -> List.of(
                MklThreads.maxThreads().orElseThrow(),
                MklThreads.onOneThread(() -> MklThreads.maxThreads().orElseThrow()),
                MklThreads.maxThreads().orElseThrow()));

        assertThat(seen).containsExactly(2, 1, 2);
    }
}
