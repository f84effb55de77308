package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.model.MklDispatch;
import dev.rlhf.trainer.model.NativeHeap;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar trainer.jar <command> [--option value ...]}: the trainer's command line
 * (see CONTRACTS.md). Bad input exits with code 2 and one line naming the bad option, file or line.
 */
@Command(name = "trainer",
        mixinStandardHelpOptions = true,
        versionProvider = TrainerCli.Version.class,
        description = "RLHF trainer: fine-tunes, trains reward models, runs PPO/DPO and serves the Kafka-driven loop.",
        subcommands = {ServeCommand.class, AnnotateCommand.class, EnsureProjectCommand.class, GenerateCommand.class, RenderCommand.class, SftCommand.class, BenchCommand.class, ConvertCommand.class,
            PpoCommand.class, RewardCommand.class, ScoreCommand.class, DpoCommand.class, KtoCommand.class, VersionsCommand.class})
public final class TrainerCli {

    /** Exit code for bad input (an option, file or line), as the command-line contract says. */
    public static final int EXIT_BAD_INPUT = 2;

    public static void main(String[] args) {
        NativeHeap.keepFreedBuffers(); // unless RLHF_NATIVE_HEAP=keep; before libtorch allocates
        MklDispatch.dispatchOnFeatures(); // before anything loads PyTorch
        System.exit(run(args));
    }

    /** Runs a command and returns its exit code, without exiting: for tests and embedding. */
    public static int run(String... args) {
        try {
            args = ConfigFileArguments.expand(args);
        } catch (BadInputException e) {
            System.err.println("trainer: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        CommandLine cli = new CommandLine(new TrainerCli());
        for (String command : new String[] {"reward", "dpo", "kto", "ppo", "sft"}) {
            cli.getSubcommands().get(command).getCommandSpec().usageMessage().footer(Preset.help(command));
        }
        cli.setOverwrittenOptionsAllowed(true); // --config settings come first; flags given later win
        cli.setExitCodeExceptionMapper(e -> e instanceof BadInputException ? EXIT_BAD_INPUT : 1);
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("trainer: " + e.getMessage());
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof BadInputException) {
                commandLine.getErr().println("trainer: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            throw e;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TrainerCli.class.getPackage().getImplementationVersion();
            return new String[] {"trainer " + (v == null ? "(development build)" : v)};
        }
    }
}
