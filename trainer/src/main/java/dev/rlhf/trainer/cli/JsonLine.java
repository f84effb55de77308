package dev.rlhf.trainer.cli;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.json.JsonMapper;

/** A command's machine-readable result: one JSON object on its stdout (progress goes to stderr). */
final class JsonLine {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonLine() {
    }

    /** Prints {@code summary} as one JSON line on the command's stdout. */
    static void print(CommandSpec spec, Map<String, ?> summary) {
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(JSON.writeValueAsString(summary));
        stdout.flush();
    }
}
