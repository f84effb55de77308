package dev.rlhf.feedback.benchmark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * CPU time used by this JVM (service, HTTP clients, Kafka broker: one process here) and by the
 * PostgreSQL backends serving its connection pool (found by their {@code application_name}), from
 * {@code /proc} (Linux). On a machine shared with other builds, throughput says how much CPU this run
 * was given; CPU time per item says what an item costs, whoever else is running. PostgreSQL's
 * background processes (WAL writer, checkpointer) are not included.
 */
final class CpuMeter {

    /** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
    private static final long TICKS_PER_SECOND = 100;

    record Reading(long jvmNanos, long postgresNanos, boolean postgresKnown) {

        Reading minus(Reading before) {
            return new Reading(jvmNanos - before.jvmNanos, postgresNanos - before.postgresNanos, postgresKnown && before.postgresKnown);
        }

        /** "JVM 512 µs + PostgreSQL 230 µs CPU per item" for {@code items} items (this reading being a difference). */
        String perItem(long items, String item) {
            String jvm = "JVM " + Math.round(jvmNanos / 1e3 / items) + " µs";
            String pg = postgresKnown ? " + PostgreSQL backends " + Math.round(postgresNanos / 1e3 / items) + " µs" : "";
            double perItemSeconds = (jvmNanos + (postgresKnown ? postgresNanos : 0)) / 1e9 / items;
            return jvm + pg + " CPU per " + item + String.format(" (%,.0f/s if 2 cores did nothing else)", 2 / perItemSeconds);
        }
    }

    private final JdbcClient jdbc;
    private final String applicationName;

    CpuMeter(JdbcClient jdbc, String applicationName) {
        this.jdbc = jdbc;
        this.applicationName = applicationName;
    }

    Reading read() {
        long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        try {
            List<Integer> pids = jdbc.sql("SELECT pid FROM pg_stat_activity WHERE application_name = ?").param(applicationName)
                    .query(Integer.class).list();
            long ticks = 0;
            for (int pid : pids) {
                String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
            return new Reading(jvm, ticks * 1_000_000_000L / TICKS_PER_SECOND, !pids.isEmpty());
        } catch (IOException | RuntimeException notOnThisMachine) {
            // PostgreSQL elsewhere (or not Linux): report the JVM only.
            return new Reading(jvm, 0, false);
        }
    }
}
