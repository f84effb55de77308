package dev.rlhf.trainer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared real data (../shared/data) that tests read but never copy into the repo. */
public final class SharedData {

    private SharedData() {}

    public static Path dir() {
        String configured = System.getProperty("rlhf.shared.dir");
        if (configured != null && Files.isDirectory(Path.of(configured, "data"))) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        // Fallback: ../shared relative to the repository root, searched upwards from here.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("data")) && Files.exists(dir.resolve("pom.xml"))) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("shared data not found: set -Drlhf.shared.dir to the directory holding data/");
    }

    public static Path stories260kModel() {
        return dir().resolve("data/models/stories260K/stories260K.bin");
    }

    public static Path stories260kTokenizer() {
        return dir().resolve("data/models/stories260K/tok512.bin");
    }
}
