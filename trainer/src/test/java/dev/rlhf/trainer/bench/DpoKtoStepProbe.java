package dev.rlhf.trainer.bench;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import org.junit.jupiter.api.Test;

/**
 * Not a test (surefire runs *Test): the bench's dpo and kto rows ({@link Benchmarks#dpo}, {@link Benchmarks#kto}) run
 * interleaved three times in one JVM on the same 128 rankings of 4 (16 pairs or examples a step, 9 steps, the first
 * untimed), so a loaded machine affects both alike. Run: {@code ./mvnw -B -o -pl trainer -am test -Dtest=DpoKtoStepProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class DpoKtoStepProbe {
    @Test
    void run() throws Exception {
        try (LoadedModel policy = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            var rankings = Benchmarks.rankings(policy, 128, 4, 32);
            for (int round = 0; round < 3; round++) {
                var d = Benchmarks.dpo(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu(), rankings, 16, 9);
                var k = Benchmarks.kto(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu(), rankings, 16, 9);
                System.out.println("BENCH dpo " + d);
                System.out.println("BENCH kto " + k);
            }
        }
    }
}
