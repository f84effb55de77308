package dev.rlhf.trainer.serve;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the loop stands, in {@code state.json} of the state directory, replaced atomically after
 * every step that must survive a crash, so a restart (kill -9 included) carries on from the last
 * completed phase; within the policy phase, PPO resumes from its own checkpoint.
 *
 * @param version            the current policy version (0 = the model given with --model)
 * @param comparisonsTrained comparisons in the store when the last completed round started
 * @param requestsAnswered   sample requests (lines of the request log) answered so far, in order
 * @param round              the round in progress, or null
 */
public record LoopState(int version, long comparisonsTrained, int requestsAnswered, Round round) {

    public static final String FILE = "state.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A round's phases, in order. */
    public enum Phase { REWARD, POLICY, SAMPLES }

    /**
     * @param number      the version this round produces
     * @param rankings    rankings of the store the round trains on (its first n lines: fixed when the round starts)
     * @param comparisons comparisons in those rankings
     * @param phase       the phase to run next
     */
    public record Round(int number, int rankings, long comparisons, Phase phase) {
        public Round next(Phase p) {
            return new Round(number, rankings, comparisons, p);
        }
    }

    public static LoopState initial() {
        return new LoopState(0, 0, 0, null);
    }

    public LoopState withRound(Round r) {
        return new LoopState(version, comparisonsTrained, requestsAnswered, r);
    }

    public LoopState withVersion(int v) {
        return new LoopState(v, comparisonsTrained, requestsAnswered, round);
    }

    public LoopState withRequestsAnswered(int n) {
        return new LoopState(version, comparisonsTrained, n, round);
    }

    /** The round is over: its comparisons count as trained. */
    public LoopState completed() {
        return new LoopState(version, round.comparisons(), requestsAnswered, null);
    }

    public static LoopState read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            return initial();
        }
        try {
            return JSON.readValue(file.toFile(), LoopState.class);
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable loop state (" + e.getMessage() + ")", e);
        }
    }

    /** Writes to a temporary file, syncs it, and renames it over {@code state.json}. */
    public void write(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        Path temp = stateDir.resolve(FILE + ".tmp");
        Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
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
