package dev.rlhf.annotation.workspace;

import java.util.List;

/**
 * A pairwise judgement in progress: responses A and B (as shown) and the grade chosen, if any. The tie
 * groups follow from the grade: the preferred response first, or one group when about the same.
 */
public final class PairwiseDraft {

    private final String a;
    private final String b;
    private PairwiseChoice choice;

    public PairwiseDraft(List<String> shownOrder) {
        if (shownOrder.size() != 2 || shownOrder.get(0).equals(shownOrder.get(1))) {
            throw new IllegalArgumentException("a pairwise judgement needs exactly 2 distinct responses, not " + shownOrder);
        }
        this.a = shownOrder.get(0);
        this.b = shownOrder.get(1);
    }

    public String a() {
        return a;
    }

    public String b() {
        return b;
    }

    public void choose(PairwiseChoice choice) {
        this.choice = choice;
    }

    /** The grade chosen, or null while none is. */
    public PairwiseChoice choice() {
        return choice;
    }

    /** What is still to give before submitting, or null when nothing is. */
    public String missing() {
        return choice == null ? "Choose which response is better (keys 1 to 5)" : null;
    }

    /** The tie groups, best first; empty while no grade is chosen. */
    public List<List<String>> groups() {
        if (choice == null) {
            return List.of();
        }
        return switch (choice.preferred()) {
            case A -> List.of(List.of(a), List.of(b));
            case B -> List.of(List.of(b), List.of(a));
            case NEITHER -> List.of(List.of(a, b));
        };
    }

    /** The grade's strength (2, 1 or 0), or null while none is chosen. */
    public Integer strength() {
        return choice == null ? null : choice.strength();
    }
}
