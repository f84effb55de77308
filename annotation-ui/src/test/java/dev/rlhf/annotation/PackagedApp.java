package dev.rlhf.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.feedback.testing.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The packaged jar ({@code -Drlhf.app.jar}) in a child JVM, started as a user starts it: in its own
 * working directory with free HTTP and broker ports, none of the test's SPRING_/KAFKA_/RLHF_
 * environment, stdout and stderr in the files {@code out} and {@code err} there. Every process it
 * started is killed on {@link #close()}.
 */
final class PackagedApp implements AutoCloseable {

    final Path workDir;
    final int httpPort = FreePorts.next();
    final int kafkaPort = FreePorts.next();
    final int controllerPort = FreePorts.next();
    private final List<Process> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    PackagedApp(Path workDir) {
        this.workDir = workDir;
    }

    Process start(Map<String, String> extraEnv) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-jar", System.getProperty("rlhf.app.jar"),
                "--server.port=" + httpPort, "--rlhf.kafka.port=" + kafkaPort, "--rlhf.kafka.controller-port=" + controllerPort);
        pb.directory(workDir.toFile());
        var env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPRING_") || k.startsWith("KAFKA_") || k.startsWith("RLHF_"));
        env.putAll(extraEnv);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("out").toFile()));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(workDir.resolve("err").toFile()));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** Polls {@code GET path} until it answers 200 with a body {@code healthy} accepts; fails with the app's output if it exits or the limit passes. */
    void awaitHealth(Process app, String path, Predicate<String> healthy, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(app.isAlive()).as("app exited early: %s", output("err")).isTrue();
            try {
                var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && healthy.test(response.body())) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError(path + " not healthy within " + limit + ":\n" + output("out"));
    }

    /** SIGTERM, as Ctrl-C in the start script forwards it; the app must stop within 30 s. Returns its exit code. */
    int stopWithSigterm(Process app) throws InterruptedException {
        app.destroy();
        assertThat(app.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s of SIGTERM").isTrue();
        return app.exitValue();
    }

    /** What the app wrote to {@code out} or {@code err} so far. */
    String output(String name) {
        try {
            Path file = workDir.resolve(name);
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
