package dev.rlhf.trainer.serve;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the loop stands, in {@code state.json} of the state directory, replaced atomically after
 * every step that must survive a crash, so a restart (kill -9 included) carries on from the last
 * completed phase; within the policy phase, PPO resumes from its own checkpoint.
 *
 * @param version            the current policy version: the latest promoted one (0 = the model given with --model)
 * @param comparisonsTrained comparisons in the store when the last completed round started
 * @param requestsAnswered   sample requests (lines of the request log) answered so far, in order
 * @param round              the round in progress, or null
 * @param lastRound          the number of the last round started; rounds are numbered by the version they write, promoted
 *                           or not, so a rejected version keeps its number on disk (null in state files older than guardrails)
 * @param rejectedInARow     rounds rejected by the guardrails since the last promoted one; each halves the next round's learning rate
 * @param refills            times the loop sampled fresh responses because labelers ran out of tasks (names their event ids)
 */
@RecordBuilder
public record LoopState(int version, long comparisonsTrained, int requestsAnswered, Round round, Integer lastRound,
                        int rejectedInARow, int refills) implements LoopStateBuilder.With {

    public static final String FILE = "state.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A round's phases, in order. */
    public enum Phase { REWARD, POLICY, HEALTH, SAMPLES }

    public LoopState {
        if (lastRound == null) {
            lastRound = round != null ? round.number() : version;
        }
    }

    /**
     * @param number      the version this round produces
     * @param base        the version the policy starts from (the latest promoted one when the round started; null in old state files)
     * @param rankings    rankings of the store the round trains on (its first n lines: fixed when the round starts)
     * @param comparisons comparisons in those rankings
     * @param phase       the phase to run next
     * @param promoted    whether the guardrails promoted the new version (null until the health phase ran)
     */
    @RecordBuilder
    public record Round(int number, Integer base, int rankings, long comparisons, Phase phase, Boolean promoted)
            implements LoopStateRoundBuilder.With {
        public Round {
            if (base == null) {
                base = number - 1;
            }
        }
    }

    public static LoopState initial() {
        return new LoopState(0, 0, 0, null, 0, 0, 0);
    }

    /**
     * The loop at round {@code r} (null: between rounds); {@code lastRound} follows it, which the generated
     * {@code withRound} does not do.
     */
    public LoopState atRound(Round r) {
        return new LoopState(version, comparisonsTrained, requestsAnswered, r, r == null ? lastRound : Math.max(lastRound, r.number()),
                rejectedInARow, refills);
    }

    /** The round is over: its comparisons count as trained. */
    public LoopState completed() {
        return new LoopState(version, round.comparisons(), requestsAnswered, null, lastRound, rejectedInARow, refills);
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

    /** Replaces {@code state.json} atomically ({@link AtomicFiles#write}). */
    public void write(Path stateDir) throws IOException {
        AtomicFiles.write(stateDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }
}
