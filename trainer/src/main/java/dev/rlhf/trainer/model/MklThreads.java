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
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs work with MKL on one thread, for the calling thread only ({@code mkl_set_num_threads_local}).
 *
 * <p>Why: a decoding step multiplies one token's vector per row by each weight matrix. MKL splits even
 * those matrix-vector products over all threads, and the fork and join cost more than the product
 * (5 us for a 172x64 product on two threads, measured with MKL_VERBOSE; the product alone is well
 * under 1 us). PyTorch's OpenBLAS keeps such small products on one thread by itself. Larger work
 * (prefill, training) keeps every thread. Where libtorch carries no MKL the work just runs.
 */
public final class MklThreads {

    private static final Optional<MethodHandle> SET_LOCAL = find("MKL_Set_Num_Threads_Local",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> MAX_THREADS = find("MKL_Get_Max_Threads",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private MklThreads() {
    }

    /** {@code work}'s result, computed with this thread's MKL calls single-threaded. */
    public static <T> T onOneThread(Supplier<T> work) {
        return onThreads(1, work);
    }

    /** {@code work}'s result, computed with this thread's MKL calls on {@code threads} threads. */
    static <T> T onThreads(int threads, Supplier<T> work) {
        if (SET_LOCAL.isEmpty()) {
            return work.get();
        }
        int previous = setLocal(threads);
        try {
            return work.get();
        } finally {
            setLocal(previous); // 0 restores the global setting
        }
    }

    /** The threads MKL would use for a call from this thread now; empty without MKL. */
    static Optional<Integer> maxThreads() {
        return MAX_THREADS.map(get -> {
            try {
                return (int) get.invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("MKL_Get_Max_Threads failed", e);
            }
        });
    }

    private static int setLocal(int threads) {
        try {
            return (int) SET_LOCAL.get().invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException("mkl_set_num_threads_local failed", e);
        }
    }

    /**
     * A function of the libtorch the engine loaded (found in /proc/self/maps), if it has MKL.
     * The C entries are the mixed-case names; the lower-case ones take a pointer (Fortran).
     */
    private static Optional<MethodHandle> find(String name, FunctionDescriptor signature) {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch
        try (var maps = Files.lines(Path.of("/proc/self/maps"))) {
            Optional<String> library = maps.map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(path -> path.endsWith("/libtorch_cpu.so")).findFirst();
            if (library.isEmpty()) {
                return Optional.empty();
            }
            SymbolLookup lookup = SymbolLookup.libraryLookup(Path.of(library.get()), Arena.global());
            return lookup.find(name).map(address -> Linker.nativeLinker().downcallHandle(address, signature));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
