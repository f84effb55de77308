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
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), MemoryFootprintProbe.class.getName(),
                SharedData.stories260kModel().toString(), SharedData.stories260kTokenizer().toString(), "20", "500");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
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
        long afterWarmUp = rss.get(3);
        long growthKib = rss.getLast() - afterWarmUp;
        assertThat(growthKib).as("RSS growth over 16 rounds x 500 steps after warm-up, KiB: %s", rss)
                .isLessThan(16 * 1024);
    }
}
