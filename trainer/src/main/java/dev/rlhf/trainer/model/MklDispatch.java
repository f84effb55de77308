package dev.rlhf.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets MKL (linked into libtorch) choose its kernels by CPU features on processors of any vendor.
 *
 * <p>Why: MKL runs a generic code path on CPUs that do not report "GenuineIntel", about half the
 * float32 matrix throughput the processor's AVX-512/AVX2 units give (measured in trainer/README.md,
 * "Speed against PyTorch eager"). The jar carries a one-function library
 * ({@code src/main/c/mkl_any_vendor.c}) that answers MKL's vendor question; loaded into the
 * process's global symbol scope before libtorch, it makes MKL dispatch on the features alone.
 * Results change within float tolerance only (other kernels, other summation order).
 *
 * <p>It acts only on Linux x86-64, on a non-Intel CPU, when the library was built into the jar (a C
 * compiler at build time) and {@code RLHF_MKL_VENDOR_CHECK} is not {@code keep}. Call it before the
 * PyTorch engine loads (first thing in {@code main}); once MKL has looked at the CPU it is too late.
 */
public final class MklDispatch {

    /** Set to {@code keep} to leave MKL's vendor check alone. */
    public static final String SWITCH = "RLHF_MKL_VENDOR_CHECK";

    private static final Logger log = LoggerFactory.getLogger(MklDispatch.class);
    private static final String LIBRARY = "/native/linux-x86_64/libmkl_any_vendor.so";
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;

    private MklDispatch() {
    }

    /** Loads the library where it applies; returns why not otherwise (for the log and tests). */
    public static Optional<String> dispatchOnFeatures() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.of("not Linux x86-64");
        }
        if ("keep".equalsIgnoreCase(System.getenv(SWITCH))) {
            return Optional.of(SWITCH + "=keep");
        }
        String vendor = cpuVendor();
        if (vendor.equals("GenuineIntel")) {
            return Optional.of("an Intel CPU needs no change");
        }
        try (InputStream library = MklDispatch.class.getResourceAsStream(LIBRARY)) {
            if (library == null) {
                return Optional.of("the jar was built without a C compiler, so it carries no " + LIBRARY);
            }
            Path file = Files.createTempFile("mkl_any_vendor", ".so");
            file.toFile().deleteOnExit();
            Files.copy(library, file, StandardCopyOption.REPLACE_EXISTING);
            Linker linker = Linker.nativeLinker();
            MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment handle = (MemorySegment) dlopen.invokeExact(
                        arena.allocateFrom(file.toString()), RTLD_NOW | RTLD_GLOBAL);
                if (handle.equals(MemorySegment.NULL)) {
                    return Optional.of("dlopen of " + file + " failed");
                }
            }
            log.debug("MKL dispatches on CPU features on this {} CPU (set {}=keep to turn off)", vendor, SWITCH);
            return Optional.empty();
        } catch (Throwable e) {
            log.warn("could not let MKL dispatch on CPU features: {}", e.toString());
            return Optional.of(e.toString());
        }
    }

    private static String cpuVendor() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("vendor_id"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
