package dev.rlhf.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * {@code --device auto|cpu|gpu}. The GPU path needs a CUDA build of libtorch 2.7.1: set
 * {@code PYTORCH_LIBRARY_PATH} to its lib directory and {@code PYTORCH_FLAVOR=cu128} (e.g. inside
 * a PyTorch 2.7.1 CUDA image); the CPU natives from Maven Central see no GPU.
 */
public final class Devices {

    private Devices() {}

    /** The device named by {@code choice}; {@code auto} takes the first GPU when PyTorch sees one. */
    public static Device select(String choice) {
        String c = choice == null ? "auto" : choice.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (c) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpuCount() == 0) {
                    throw new IllegalArgumentException("gpu: PyTorch sees no GPU (a CUDA libtorch is needed: "
                            + "set PYTORCH_LIBRARY_PATH and PYTORCH_FLAVOR=cu128)");
                }
                yield Device.gpu(0);
            }
            case "auto" -> gpuCount() > 0 ? Device.gpu(0) : Device.cpu();
            default -> throw new IllegalArgumentException("'" + choice + "' is not one of auto, cpu, gpu");
        };
    }

    private static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    /**
     * Turns off autograd recording on the calling thread. PyTorch's grad mode is per thread and on by
     * default; DJL turns it off only on the thread that starts the engine, so a worker thread that
     * samples or trains must call this first (else in-place optimizer updates of parameters fail with
     * "a leaf Variable that requires grad is being used in an in-place operation", and inference
     * builds graphs it never frees). Gradient collectors still turn it on for their own scope.
     */
    public static void noGradOnThisThread() {
        Engine.getEngine("PyTorch");
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }
}
