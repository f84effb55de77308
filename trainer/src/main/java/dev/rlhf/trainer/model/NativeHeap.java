package dev.rlhf.trainer.model;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's freed CPU buffers in the process's heap for reuse instead of handing them back
 * to the kernel.
 *
 * <p>Why: glibc's malloc maps a buffer above its threshold (128 KiB, rising with use to at most
 * 32 MiB) freshly from the kernel and unmaps it on free, so each such tensor pays a page fault per
 * 4 KiB page on first touch; a decoding step's logits at Qwen's 151,936-token vocabulary and 64 rows
 * are 39 MB, made and dropped several times a step. On the development VM a fresh 39 MB buffer cost
 * about 70 ms of page faults against 5 ms for the arithmetic written into it (trainer/README.md,
 * "Speed against PyTorch eager"). Three glibc settings, applied through {@code mallopt} before
 * PyTorch loads: no per-buffer maps ({@code M_MMAP_MAX = 0}), no trimming of freed memory below
 * 1 GiB ({@code M_TRIM_THRESHOLD}), and a top pad of 64 MiB ({@code M_TOP_PAD}): Java's threads
 * allocate from glibc's per-thread arenas, made of heaps of at most 64 MiB, and glibc deletes such a
 * heap as soon as its contents are freed whatever the trim threshold, unless the pad asks for a
 * heap's worth to be kept. With the first two alone a PPO rollout's reward pass on stories260K still
 * took 122-280 ms, with all three 46-53 ms, without any 254-674 ms (medians of 8 rollouts). The
 * equivalent of starting the JVM with {@code MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824
 * MALLOC_TOP_PAD_=67108864}. The cost: freed memory stays in the process's resident size for reuse,
 * up to each arena's high-water mark.
 *
 * <p>On by default on Linux with glibc; {@code RLHF_NATIVE_HEAP=keep} leaves glibc's settings alone,
 * as do glibc's own {@code MALLOC_*} variables when set. Call it first in {@code main}.
 */
public final class NativeHeap {

    /** Set to {@code keep} to leave glibc's malloc settings alone ({@code reuse}, the default, applies them). */
    public static final String SWITCH = "RLHF_NATIVE_HEAP";

    /** Freed memory at the heap's top kept for reuse rather than returned to the kernel. */
    public static final long KEPT_FREE_BYTES = 1L << 30;

    /** One thread-arena heap (glibc's HEAP_MAX_SIZE on 64-bit): a pad this large keeps emptied heaps. */
    static final int TOP_PAD_BYTES = 64 << 20;

    private static final Logger log = LoggerFactory.getLogger(NativeHeap.class);
    private static final int M_TRIM_THRESHOLD = -1;
    /** glibc's own environment variables for the same settings: when one is set, the user decided. */
    private static final List<String> GLIBC_VARIABLES = List.of("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_");
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_MAX = -4;

    private NativeHeap() {
    }

    /** Applies the settings where they apply; returns why not otherwise (for the log and tests). */
    public static Optional<String> keepFreedBuffers() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("not Linux");
        }
        if ("keep".equalsIgnoreCase(System.getenv(SWITCH))) {
            return Optional.of(SWITCH + " is keep");
        }
        Optional<String> glibcSetting = GLIBC_VARIABLES.stream().filter(v -> System.getenv(v) != null).findFirst();
        if (glibcSetting.isPresent()) {
            return Optional.of("glibc's " + glibcSetting.get() + " is set");
        }
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> mallopt = linker.defaultLookup().find("mallopt");
            if (mallopt.isEmpty()) {
                return Optional.of("no mallopt (not glibc)");
            }
            MethodHandle set = linker.downcallHandle(mallopt.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int trim = (int) set.invokeExact(M_TRIM_THRESHOLD, (int) Math.min(KEPT_FREE_BYTES, Integer.MAX_VALUE));
            int maps = (int) set.invokeExact(M_MMAP_MAX, 0);
            int pad = (int) set.invokeExact(M_TOP_PAD, TOP_PAD_BYTES);
            if (trim != 1 || maps != 1 || pad != 1) {
                return Optional.of("mallopt refused (" + trim + ", " + maps + ", " + pad + ")");
            }
            log.debug("native heap keeps freed buffers ({}=keep turns it off)", SWITCH);
            return Optional.empty();
        } catch (Throwable e) {
            log.warn("could not tune the native heap: {}", e.toString());
            return Optional.of(e.toString());
        }
    }
}
