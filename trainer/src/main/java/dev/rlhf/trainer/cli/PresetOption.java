package dev.rlhf.trainer.cli;

import picocli.CommandLine.Option;

/** The {@code --preset paper|small} option of the training commands (a mixin); see {@link Preset}. */
public class PresetOption {

    @Option(names = "--preset", paramLabel = "paper|small",
            description = "Where unset hyperparameters come from: paper (default; the papers' values for billion-parameter models) "
                    + "or small (values that learn on stories260K-sized models). What each sets: see the end of this help.")
    String preset;

    Preset preset() {
        return Preset.parse(preset);
    }
}
