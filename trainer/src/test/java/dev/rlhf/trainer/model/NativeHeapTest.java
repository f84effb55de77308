package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With {@link NativeHeap}'s settings (the default), a tensor the size of a Qwen-vocabulary logits batch made and
 * dropped again and again reuses its memory instead of faulting fresh pages in each time. Counted
 * in page faults (the kernel's count for the process), not time; each case runs in a fresh JVM,
 * since malloc settings are per process.
 */
class NativeHeapTest {

    private static final int ROWS = 64;
    private static final int VOCAB = 151_936;
    private static final int REPEATS = 20;

    @Test
    void largeTensorsReuseFreedMemoryInsteadOfFaultingInFreshPages() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "needs Linux");
        Path hugePages = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        assumeTrue(!Files.exists(hugePages) || !Files.readString(hugePages).contains("[always]"),
                "with transparent huge pages always on, a fresh tensor faults in 2 MiB pages: too few to count");
        long pagesPerTensor = (long) ROWS * VOCAB * Float.BYTES / 4096;

        long byDefault = faults(true, null);
        long untuned = faults(false, null);
        long switchedOff = faults(true, "keep");

        assertThat(untuned).as("without the settings every new tensor faults its pages in")
                .isGreaterThan(REPEATS * pagesPerTensor / 2);
        assertThat(switchedOff).as("RLHF_NATIVE_HEAP=keep leaves glibc alone").isGreaterThan(REPEATS * pagesPerTensor / 2);
        // glibc lays out a few heaps before the buffers settle (about 4 fresh tensors on this VM, then none)
        assertThat(byDefault).as("with them freed memory is reused").isLessThan(untuned / 3);
    }

    /**
     * The child JVM: optionally applies the settings, then makes and drops the tensor; prints the page
     * faults of all repeats together.
     */
    public static void main(String[] args) throws IOException {
        if (args[0].equals("tune")) {
            NativeHeap.keepFreedBuffers().ifPresent(why -> System.out.println("NOT_TUNED " + why));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.randomNormal(new Shape(ROWS, VOCAB));
            step(manager, logits); // first use: these pages are new either way
            long before = minorFaults();
            for (int i = 0; i < REPEATS; i++) {
                step(manager, logits);
            }
            System.out.println("FAULTS " + (minorFaults() - before));
        }
    }

    private static void step(NDManager manager, NDArray logits) {
        try (NDManager scope = manager.newSubManager()) {
            logits.tempAttach(scope);
            logits.exp().sum().getFloat();
        }
    }

    private static long minorFaults() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[7]); // minflt, field 10 of proc(5)
    }

    private static long faults(boolean tune, String switchValue) throws IOException, InterruptedException {
        Map<String, String> environment = new HashMap<>();
        environment.put("MALLOC_MMAP_MAX_", null);
        environment.put("MALLOC_TRIM_THRESHOLD_", null);
        environment.put("MALLOC_TOP_PAD_", null);
        environment.put(NativeHeap.SWITCH, switchValue);
        String output = ChildJvm.run(NativeHeapTest.class, environment, tune ? "tune" : "leave");
        String notTuned = output.lines().filter(l -> l.startsWith("NOT_TUNED ")).findFirst().orElse(null);
        assumeTrue(!tune || "keep".equals(switchValue) || notTuned == null, "the settings do not apply here: " + notTuned);
        return output.lines().filter(l -> l.startsWith("FAULTS "))
                .map(l -> Long.parseLong(l.substring("FAULTS ".length()))).findFirst()
                .orElseThrow(() -> new AssertionError("no fault count in:\n" + output));
    }
}
