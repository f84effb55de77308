package dev.rlhf.trainer.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs work on fewer native threads, for the calling thread only: MKL's matrix products
 * ({@code mkl_set_num_threads_local}) and, for {@link #onOneThread}, libtorch's own parallel loops too
 * ({@code omp_set_num_threads} sets the calling thread's OpenMP setting, which libtorch's
 * {@code parallel_for} reads through {@code omp_get_max_threads}). Other threads keep theirs.
 *
 * <p>Why: a decoding step's work is tiny. MKL splits even a 172x64 matrix-vector product over all
 * threads, and the fork and join cost more than the product (5 us on two threads, measured with
 * MKL_VERBOSE; the product alone is well under 1 us). Sampling a batch of a small model is no
 * different: libtorch's loops over a few tens of thousands of numbers (attention softmax, the token
 * choice) fork too, and the helper thread then spins between them. Larger work (prefill of a large
 * model, training) keeps every thread. Where libtorch carries no MKL or no OpenMP, that part is a no-op.
 */
public final class NativeThreads {

    /** The shared libraries this process has loaded, read once (loading libtorch first). */
    private static final List<String> LOADED = loadedLibraries();
    private static final Optional<MethodHandle> MKL_SET_LOCAL = find("/libtorch_cpu.so", "MKL_Set_Num_Threads_Local",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> MKL_MAX_THREADS = find("/libtorch_cpu.so", "MKL_Get_Max_Threads",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> OMP_SET = find("/libgomp", "omp_set_num_threads",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> OMP_MAX_THREADS = find("/libgomp", "omp_get_max_threads",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private NativeThreads() {
    }

    /** {@code work}'s result, computed with this thread's MKL calls and libtorch loops single-threaded. */
    public static <T> T onOneThread(Supplier<T> work) {
        return onThreads(1, true, work);
    }

    /** {@code work}'s result, computed with this thread's MKL calls single-threaded (libtorch's loops as they were). */
    public static <T> T onOneMklThread(Supplier<T> work) {
        return onThreads(1, false, work);
    }

    /** {@code work}'s result, computed with this thread's MKL calls (and libtorch loops, if {@code openMp}) on {@code threads} threads. */
    static <T> T onThreads(int threads, boolean openMp, Supplier<T> work) {
        int mklPrevious = MKL_SET_LOCAL.isPresent() ? mklSetLocal(threads) : -1;
        int ompPrevious = openMp ? ompMaxThreads().orElse(-1) : -1;
        if (ompPrevious > 0) {
            ompSet(threads);
        }
        try {
            return work.get();
        } finally {
            if (mklPrevious >= 0) {
                mklSetLocal(mklPrevious); // 0 restores the global setting
            }
            if (ompPrevious > 0) {
                ompSet(ompPrevious);
            }
        }
    }

    /** The threads MKL would use for a call from this thread now; empty without MKL. */
    static Optional<Integer> mklMaxThreads() {
        return MKL_MAX_THREADS.map(get -> readInt(get, "MKL_Get_Max_Threads"));
    }

    /** The threads an OpenMP parallel region started from this thread would use now; empty without OpenMP. */
    static Optional<Integer> ompMaxThreads() {
        return OMP_MAX_THREADS.map(get -> readInt(get, "omp_get_max_threads"));
    }

    private static int readInt(MethodHandle get, String name) {
        try {
            return (int) get.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(name + " failed", e);
        }
    }

    private static int mklSetLocal(int threads) {
        try {
            return (int) MKL_SET_LOCAL.get().invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException("mkl_set_num_threads_local failed", e);
        }
    }

    private static void ompSet(int threads) {
        try {
            OMP_SET.get().invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException("omp_set_num_threads failed", e);
        }
    }

    /**
     * A function of a library the engine loaded (found by {@code libraryName}, part of its path), if it
     * is there. MKL's C entries are the mixed-case names; the lower-case ones take a pointer (Fortran).
     * libtorch's OpenMP is its own renamed copy of libgomp.
     */
    private static Optional<MethodHandle> find(String libraryName, String name, FunctionDescriptor signature) {
        Optional<String> library = LOADED.stream().filter(path -> path.contains(libraryName)).findFirst();
        try {
            return library.flatMap(path -> SymbolLookup.libraryLookup(Path.of(path), Arena.global()).find(name))
                    .map(address -> Linker.nativeLinker().downcallHandle(address, signature));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<String> loadedLibraries() {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch
        try (var maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.map(line -> line.substring(line.lastIndexOf(' ') + 1)).filter(path -> path.contains(".so"))
                    .distinct().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
