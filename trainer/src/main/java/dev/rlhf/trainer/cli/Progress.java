package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.training.StepListener;
import java.io.PrintStream;
import java.time.Duration;

/**
 * A progress bar with throughput and ETA on stderr (stdout stays machine-readable), redrawn at
 * most twice a second.
 */
final class Progress {

    private final String label;
    private final String unit;
    private final long total;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private long done;
    private long units;
    private long lastPrint;

    /**
     * @param total items (e.g. prompts) to get through
     * @param unit  what the throughput counts (e.g. "tok")
     */
    Progress(String label, long total, String unit, PrintStream out) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
    }

    /** A trainer's listener drawing this bar on stderr: one item per optimizer step, throughput in {@code unit}. */
    static StepListener bar(String label, String unit) {
        return new StepListener() {
            Progress progress;

            @Override
            public void beforeFirstStep(int totalSteps) {
                progress = new Progress(label, totalSteps, unit, System.err);
            }

            @Override
            public void afterStep(int step, int totalSteps, long items) {
                progress.advance(1, items);
            }
        };
    }

    /** Records {@code items} more done, which produced {@code workUnits} units of throughput. */
    void advance(long items, long workUnits) {
        done += items;
        units += workUnits;
        long now = System.nanoTime();
        if (now - lastPrint < 500_000_000L && done < total) {
            return;
        }
        lastPrint = now;
        double seconds = Math.max((now - start) / 1e9, 1e-9);
        long remaining = done == 0 ? 0 : Math.round(seconds * (total - done) / done);
        int width = 24;
        int filled = (int) (width * Math.min(done, total) / Math.max(total, 1));
        out.printf("\r%s [%s%s] %d/%d  %.1f %s/s  ETA %s ", label, "#".repeat(filled), ".".repeat(width - filled),
                done, total, units / seconds, unit, format(Duration.ofSeconds(remaining)));
        if (done >= total) {
            out.println();
        }
        out.flush();
    }

    private static String format(Duration d) {
        return String.format("%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
