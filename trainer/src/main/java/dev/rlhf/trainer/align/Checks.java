package dev.rlhf.trainer.align;

/** Validation of config records: a bad value fails with a message naming the option. */
public final class Checks {

    private Checks() {
    }

    public static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
