package dev.rlhf.annotation.workspace;

import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * The five grades of a pairwise judgement, in the order of their keys 1..5 (Llama 2's annotators chose
 * between two responses with a strength; the strength becomes the reward model's margin).
 *
 * @param symbol      how the grade is written on its button
 * @param description the grade in words, for screen readers and the keyboard help
 */
public enum PairwiseChoice {
    A_MUCH_BETTER("A >> B", "A is much better", Preferred.A, GradedFeedback.MUCH_BETTER),
    A_BETTER("A > B", "A is better", Preferred.A, GradedFeedback.BETTER),
    ABOUT_THE_SAME("A ~ B", "About the same", Preferred.NEITHER, GradedFeedback.ABOUT_THE_SAME),
    B_BETTER("B > A", "B is better", Preferred.B, GradedFeedback.BETTER),
    B_MUCH_BETTER("B >> A", "B is much better", Preferred.B, GradedFeedback.MUCH_BETTER);

    /** Which of the two responses the grade prefers. */
    public enum Preferred { A, B, NEITHER }

    private final String symbol;
    private final String description;
    private final Preferred preferred;
    private final int strength;

    PairwiseChoice(String symbol, String description, Preferred preferred, int strength) {
        this.symbol = symbol;
        this.description = description;
        this.preferred = preferred;
        this.strength = strength;
    }

    /** The digit key that gives this grade: 1 (A >> B) to 5 (B >> A). */
    public int key() {
        return ordinal() + 1;
    }

    public String symbol() {
        return symbol;
    }

    public String description() {
        return description;
    }

    public Preferred preferred() {
        return preferred;
    }

    /** What is submitted as {@code strength}: 2 much better, 1 better, 0 about the same. */
    public int strength() {
        return strength;
    }
}
