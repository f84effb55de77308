package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 10,000-step generation loop does not grow the process's memory: every step scopes its native
 * tensors. Runs in a child JVM whose heap is fixed and pre-touched, so RSS growth means native leaks.
 */
class GenerationMemoryTest {

    @Test
    void tenThousandDecodingStepsKeepResidentMemoryFlat() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = List.of(java.toString(), "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-cp", System.getProperty("java.class.path"), MemoryFootprintProbe.class.getName(),
                SharedData.stories260kModel().toString(), SharedData.stories260kTokenizer().toString(), "20", "500");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // One thread: the tiny model gains nothing from more, and spinning OpenMP workers crawl
        // when the machine is oversubscribed (parallel CI).
        builder.environment().put("OMP_NUM_THREADS", "1");
        Process process = builder.start();
        List<Long> rss = new ArrayList<>();
        StringBuilder output = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                output.append(line).append('\n');
                if (line.startsWith("rss ")) {
                    rss.add(Long.parseLong(line.substring(4)));
                }
            }
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output.toString()).isZero();
        assertThat(rss).hasSize(20);
        // A leak grows with every step: even one 2 KiB logits row per step adds 1 MiB between two
        // samples (500 steps), so the median growth between samples over the last 5,000 steps would
        // be about that. The allocator and the JIT's code cache step up now and then (one 8 MiB step
        // was seen); the median ignores such steps, a steady leak it does not.
        List<Long> steps = new ArrayList<>();
        for (int i = 10; i < rss.size(); i++) {
            steps.add(rss.get(i) - rss.get(i - 1));
        }
        steps.sort(null);
        long medianStepKib = (steps.get(steps.size() / 2 - 1) + steps.get(steps.size() / 2)) / 2;
        assertThat(medianStepKib * steps.size()).as("median RSS growth per 500 steps x 10 over the last 5,000 steps, KiB: %s", rss)
                .isLessThan(4 * 1024);
        long afterWarmUpGrowthKib = rss.getLast() - rss.get(2);
        assertThat(afterWarmUpGrowthKib).as("RSS growth after warm-up, KiB: %s", rss).isLessThan(32 * 1024);
    }
}
