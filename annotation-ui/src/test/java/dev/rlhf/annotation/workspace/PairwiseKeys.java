package dev.rlhf.annotation.workspace;

/** The pairwise grade a digit key gives, for tests that act as the annotator pressing it. */
final class PairwiseKeys {
    private PairwiseKeys() {
    }

    /** The grade of a digit key 1..5 (the inverse of {@link PairwiseChoice#key()}). */
    static PairwiseChoice choiceOf(int key) {
        for (PairwiseChoice choice : PairwiseChoice.values()) {
            if (choice.key() == key) {
                return choice;
            }
        }
        throw new IllegalArgumentException("a pairwise grade is a key from 1 to " + PairwiseChoice.values().length + ", not " + key);
    }
}
