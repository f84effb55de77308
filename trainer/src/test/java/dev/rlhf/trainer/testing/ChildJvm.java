package dev.rlhf.trainer.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a fresh JVM on the test class path: for what a process fixes once
 * (MKL's kernel choice, malloc's settings).
 */
public final class ChildJvm {

    private static final int TIME_LIMIT_MINUTES = 5;

    private ChildJvm() {}

    /**
     * Its combined output, after checking it exited with 0.
     *
     * @param environment variables to set; a null value removes one
     */
    public static String run(Class<?> main, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        environment.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        Process process = builder.start();
        // Read on another thread so that a child that hangs is killed at the time limit, not waited for.
        var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!process.waitFor(TIME_LIMIT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM ran past " + TIME_LIMIT_MINUTES + " minutes:\n" + output.getNow(""));
        }
        String text = output.join();
        assertThat(process.exitValue()).as(text).isZero();
        return text;
    }
}
