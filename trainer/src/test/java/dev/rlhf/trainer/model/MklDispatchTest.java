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
 * On a non-Intel x86-64 CPU, MKL inside libtorch runs its feature-matched kernels once
 * {@link MklDispatch} ran, and its generic ones otherwise. Each case runs in a fresh JVM (MKL
 * reads the CPU once per process) with MKL_VERBOSE, whose banner names the instruction set used.
 */
class MklDispatchTest {

    @Test
    void mklUsesTheCpusVectorUnitsOnAnyVendor() throws Exception {
        String flags = " " + cpuInfo("flags");
        assumeTrue(!cpuInfo("vendor_id").isBlank() || cpuInfo("vendor_id").trim().equals("GenuineIntel") && flags.contains(" avx2"),
                "needs a non-Intel x86-64 CPU with AVX2 (MKL already dispatches on features on Intel)");
        assumeTrue(MklDispatch.class.getResource("/native/linux-x86_64/libmkl_any_vendor.so") != null,
                "the build had no C compiler");

        String banner = mklBanner(true, null);

        assertThat(banner).contains(flags.contains(" avx512f") ? "AVX-512" : "AVX2");
    }

    @Test
    void theVendorCheckStaysWhenTheUserAsksForIt() throws Exception {
        assumeTrue(!cpuInfo("vendor_id").isBlank() || cpuInfo("vendor_id").trim().equals("GenuineIntel") && (" " + cpuInfo("flags")).contains(" avx2"),
                "needs a non-Intel x86-64 CPU with AVX2");

        assertThat(mklBanner(true, "keep")).doesNotContain("AVX");
        assertThat(mklBanner(false, null)).doesNotContain("AVX");
    }

    /** The child JVM: optionally lets MKL dispatch on features, then multiplies two matrices. */
    public static void main(String[] args) {
        if (args[0].equals("dispatch")) {
            MklDispatch.dispatchOnFeatures();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.ones(new Shape(64, 64));
            a.matMul(a).toFloatArray();
        }
    }

    private static String mklBanner(boolean dispatch, String vendorCheck) throws IOException, InterruptedException {
        Map<String, String> environment = new HashMap<>(Map.of("MKL_VERBOSE", "1"));
        if (vendorCheck != null) {
            environment.put(MklDispatch.SWITCH, vendorCheck);
        }
        String output = ChildJvm.run(MklDispatchTest.class, environment, dispatch ? "dispatch" : "leave");
        return output.lines().filter(l -> l.startsWith("MKL_VERBOSE oneMKL")).findFirst()
                .orElseThrow(() -> new AssertionError("no MKL banner in:\n" + output));
    }

    private static String cpuInfo(String field) throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        assumeTrue(Files.exists(cpuinfo) && System.getProperty("os.arch").matches("amd64|x86_64"), "needs Linux x86-64");
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith(field)).map(l -> l.substring(l.indexOf(':') + 1).trim() + " ")
                    .findFirst().orElse("");
        }
    }
}
