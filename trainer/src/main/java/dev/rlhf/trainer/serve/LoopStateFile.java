package dev.rlhf.trainer.serve;

import java.io.IOException;
import java.nio.file.Path;

/** The loop's {@link LoopState}, held in memory and saved atomically at every step that must survive a crash. */
final class LoopStateFile {

    private final Path stateDir;
    private volatile LoopState state;

    LoopStateFile(Path stateDir) throws IOException {
        this.stateDir = stateDir;
        this.state = LoopState.read(stateDir);
    }

    LoopState current() {
        return state;
    }

    void save(LoopState next) throws IOException {
        next.write(stateDir);
        state = next;
    }
}
