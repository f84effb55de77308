package dev.rlhf.trainer.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE}, a mixin of every command that takes it. The file is read before picocli
 * parses (see {@link ConfigFileArguments}); this declaration puts it in the usage and help.
 */
public class ConfigFileOption {

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON or properties file of these options (names without dashes); flags override it.")
    Path config;
}
