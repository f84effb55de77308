package dev.rlhf.trainer.align.ppo;

/** Checks shared by the group-baseline estimators. */
final class Groups {

    private Groups() {
    }

    static void check(double[] rewards, int k) {
        if (k < 2) {
            throw new IllegalArgumentException("a group baseline needs K >= 2 samples per prompt, got " + k);
        }
        if (rewards.length % k != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards are not whole groups of " + k);
        }
    }
}
