package dev.rlhf.trainer.serve;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Small files that a crash must leave either old or new, never half written. */
final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Writes to a temporary file beside {@code file}, syncs it, and renames it over {@code file}. */
    static void write(Path file, byte[] content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temp, content);
        try (FileChannel c = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
