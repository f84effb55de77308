package dev.rlhf.trainer.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --config FILE}: settings of any command read from a file, with flags on the command line
 * taking precedence. The file is a JSON object ({@code .json}) or a properties file, keyed by option
 * name without dashes: {@code {"max-new-tokens": 64, "temperature": 0.7, "prompt": ["a", "b"]}}.
 * The file's settings are inserted before the command's own flags, so later flags override them.
 */
public final class ConfigFileArguments {

    private ConfigFileArguments() {}

    /** {@code args} with the settings of its {@code --config} file (if any) inserted after the command name. */
    public static String[] expand(String[] args) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config")) {
                if (i + 1 >= args.length) {
                    throw new BadInputException("--config needs a file");
                }
                file = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--config=")) {
                file = Path.of(args[i].substring("--config=".length()));
            }
        }
        if (file == null || args.length == 0 || args[0].startsWith("-")) {
            return args;
        }
        List<String> expanded = new ArrayList<>();
        expanded.add(args[0]);
        expanded.addAll(read(file));
        expanded.addAll(List.of(args).subList(1, args.length));
        return expanded.toArray(String[]::new);
    }

    static List<String> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("--config " + file + ": file not found");
        }
        List<String> flags = new ArrayList<>();
        try {
            if (file.getFileName().toString().endsWith(".json")) {
                JsonNode root = JsonMapper.builder().build().readTree(file);
                if (!root.isObject()) {
                    throw new BadInputException("--config " + file + ": expected a JSON object of option names to values");
                }
                for (Map.Entry<String, JsonNode> e : root.properties()) {
                    String flag = flag(e.getKey());
                    if (e.getValue().isArray()) {
                        for (JsonNode item : e.getValue()) {
                            flags.add(flag);
                            flags.add(item.asString());
                        }
                    } else if (!e.getValue().isNull()) {
                        flags.add(flag);
                        flags.add(e.getValue().asString());
                    }
                }
            } else {
                Properties properties = new Properties();
                try (Reader in = Files.newBufferedReader(file)) {
                    properties.load(in);
                }
                for (String key : properties.stringPropertyNames().stream().sorted().toList()) {
                    flags.add(flag(key));
                    flags.add(properties.getProperty(key).trim());
                }
            }
        } catch (JacksonException e) {
            throw new BadInputException("--config " + file + ": invalid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BadInputException("--config " + file + ": " + e.getMessage());
        }
        return flags;
    }

    private static String flag(String key) {
        return key.startsWith("--") ? key : "--" + key;
    }
}
