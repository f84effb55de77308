package dev.rlhf.feedback.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real datasets in ../shared/data (never copied into the project). */
public final class SharedData {
    private SharedData() {
    }

    public static Path dir() {
        Path shared = Path.of(System.getProperty("rlhf.shared.dir", "../../shared"));
        if (!Files.isDirectory(shared)) {
            shared = Path.of("../shared");
        }
        Path data = shared.resolve("data").toAbsolutePath().normalize();
        if (!Files.isDirectory(data)) {
            throw new IllegalStateException("Shared test data not found at " + data + " (set -Drlhf.shared.dir)");
        }
        return data;
    }

    public static Path oasstTrees() {
        return dir().resolve("preferences/oasst-en-100-trees.jsonl");
    }

    public static Path hhPairs() {
        return dir().resolve("preferences/hh-rlhf-harmless-base-test.jsonl.gz");
    }
}
