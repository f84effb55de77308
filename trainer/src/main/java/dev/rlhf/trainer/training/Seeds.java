package dev.rlhf.trainer.training;

import java.util.function.IntToLongFunction;

/**
 * The run's one seeding scheme for the streams a resume must replay: each is derived from the run seed,
 * a purpose and a counter, so it can be replayed from the seed and the counters a resume state holds.
 * One-off draws made before the first step (the held-out split of SFT and the reward model, a new value
 * head's or LoRA adapter's initial weights) use {@code new Random(seed)} directly: they are made once
 * per run, the same on a resume, and changing them would move the reference numbers.
 *
 * <p>The supervised trainers (SFT, reward, DPO) order their data with {@link #supervisedOrder()},
 * the formula they have always used; it is kept so that their runs and reference numbers reproduce.
 * PPO mixes (seed, purpose, counter) with SplitMix64 ({@link #of}).
 */
public record Seeds(long run) {

    /** The purposes PPO draws random numbers for; the ids are part of the seed, so never renumber them. */
    public enum Purpose {
        PROMPT_ORDER(0), PTX_ORDER(1), SAMPLING(2), MINIBATCH_ORDER(3);

        private final int id;

        Purpose(int id) {
            this.id = id;
        }
    }

    /** The seed of {@code purpose} at {@code counter} (SplitMix64 of the combination). */
    public long of(Purpose purpose, long counter) {
        return mix(run, purpose.id, counter);
    }

    /** Per-epoch order seeds for a data set read for {@code purpose}. */
    public IntToLongFunction order(Purpose purpose) {
        return epoch -> of(purpose, epoch);
    }

    /** Per-epoch order seeds of the supervised trainers' training data. */
    public IntToLongFunction supervisedOrder() {
        return epoch -> run * 1_000_003L + epoch;
    }

    static long mix(long seed, int stream, long counter) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + counter * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
