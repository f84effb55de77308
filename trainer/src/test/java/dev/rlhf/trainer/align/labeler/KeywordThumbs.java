package dev.rlhf.trainer.align.labeler;

import java.util.Random;

/**
 * A keyword labeler's thumbs, as binary feedback for the KTO tests: up when the response mentions the word
 * ({@link KeywordLabeler#mentions}), flipped with probability {@code flipRate}. The draws are seeded, so
 * the same sequence of calls gives the same thumbs.
 */
public final class KeywordThumbs {

    private final KeywordLabeler labeler;
    private final double flipRate;
    private final Random random;

    public KeywordThumbs(String word, double flipRate, long seed) {
        this.labeler = new KeywordLabeler(word, flipRate, seed); // checks the word and the flip rate
        this.flipRate = flipRate;
        this.random = new Random(seed);
    }

    public synchronized boolean up(String response) {
        boolean truth = labeler.mentions(response);
        return random.nextDouble() >= flipRate ? truth : !truth;
    }
}
