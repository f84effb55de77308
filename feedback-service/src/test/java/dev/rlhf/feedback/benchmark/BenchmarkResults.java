package dev.rlhf.feedback.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of the benchmark table: what was measured, against which target, and the machine's load
 * around it (the machine is shared, so a figure without its load means little).
 */
final class BenchmarkResults {

    /** One measured figure. {@code met} is null where there is no target (a supporting figure). */
    record Row(String benchmark, String size, String result, String target, Boolean met, String verified, String load) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Instant started = Instant.now();

    synchronized void add(Row row) {
        rows.add(row);
        System.out.println("BENCHMARK " + row);
    }

    synchronized void note(String note) {
        notes.add(note);
        System.out.println("BENCHMARK note: " + note);
    }

    /** The 1, 5 and 15 minute load averages, as {@code uptime} prints them. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    synchronized String table() {
        StringBuilder out = new StringBuilder();
        out.append("# feedback-service benchmark\n\n");
        out.append("Run ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" on ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores (shared with other builds: see the load column, ")
                .append("1/5/15-minute load averages before -> after each measurement), Java ").append(Runtime.version())
                .append(", max heap ").append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB. ")
                .append("Server, HTTP clients, PostgreSQL and the Kafka broker all run on this machine.\n\n");
        out.append("| benchmark | size | result | target | met | verified | load before -> after |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            out.append("| ").append(r.benchmark()).append(" | ").append(r.size()).append(" | ").append(r.result()).append(" | ")
                    .append(r.target() == null ? "" : r.target()).append(" | ")
                    .append(r.met() == null ? "" : r.met() ? "yes" : "**no**").append(" | ")
                    .append(r.verified()).append(" | ").append(r.load()).append(" |\n");
        }
        if (!notes.isEmpty()) {
            out.append('\n');
            notes.forEach(n -> out.append("- ").append(n).append('\n'));
        }
        return out.toString();
    }

    void write(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, table());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
