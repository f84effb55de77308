package dev.rlhf.trainer.align.labeler;

import dev.rlhf.trainer.align.reward.Ranking;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prefers stories that mention a chosen word: the score of a response is how many times the word
 * occurs in it as a whole word, case-insensitively (so "Dog" and "dog." count, "dogs" does not).
 * Noise: with probability {@code flipRate} a reported ranking is reversed, so that share of the
 * labeler's pairwise labels is flipped in expectation. The draws are seeded, so the same sequence of
 * calls gives the same labels.
 */
public final class KeywordLabeler implements Labeler {

    private final String word;
    private final Pattern pattern;
    private final double flipRate;
    private final Random random;

    public KeywordLabeler(String word, double flipRate, long seed) {
        if (word == null || word.isBlank()) {
            throw new IllegalArgumentException("the labeler's word must not be blank");
        }
        if (!(flipRate >= 0 && flipRate <= 1)) {
            throw new IllegalArgumentException("flip rate must be in [0, 1], got " + flipRate);
        }
        this.word = word.trim();
        this.pattern = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(this.word.toLowerCase(Locale.ROOT))
                + "(?![\\p{L}\\p{N}])");
        this.flipRate = flipRate;
        this.random = new Random(seed);
    }

    public String word() {
        return word;
    }

    /** Occurrences of the word in {@code response}. */
    @Override
    public double score(String prompt, String response) {
        Matcher m = pattern.matcher(response.toLowerCase(Locale.ROOT));
        int count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }

    /** Whether {@code response} mentions the word at all. */
    public boolean mentions(String response) {
        return score("", response) > 0;
    }

    @Override
    public synchronized Ranking rank(String prompt, List<String> responses) {
        Ranking truth = trueRanking(prompt, responses);
        if (random.nextDouble() >= flipRate) {
            return truth;
        }
        List<int[]> reversed = new ArrayList<>(truth.groups());
        Collections.reverse(reversed);
        return new Ranking(reversed);
    }

    @Override
    public String toString() {
        return "KeywordLabeler(word=" + word + ", flipRate=" + flipRate + ")";
    }
}
