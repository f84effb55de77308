package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.model.Devices;
import picocli.CommandLine.Option;

/** {@code --device auto|cpu|gpu}, a mixin of every command that runs a model; see {@link Devices#select}. */
public class DeviceOption {

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto",
            description = "Where to run (default ${DEFAULT-VALUE}: a GPU when PyTorch sees one).")
    String device;

    /** The selected device; an unknown or unavailable one is bad input naming --device. */
    Device device() {
        try {
            return Devices.select(device);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--device " + e.getMessage());
        }
    }
}
