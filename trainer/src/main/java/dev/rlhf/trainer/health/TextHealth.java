package dev.rlhf.trainer.health;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Text-health measures of a set of completions, the signs of a policy that stops being language:
 * distinct-n (Li et al. 2016: distinct n-grams over all n-grams of all completions, so a policy that
 * says the same thing to every prompt scores low) and the share of completions with a repeated-word
 * run ({@link #RUN_LENGTH} or more times the same word in a row, "a a a"). Words are the lowercased
 * runs of letters, digits and apostrophes, so punctuation does not make "big," differ from "big".
 */
public final class TextHealth {

    /** A run this long of one word marks a completion as degenerate (v0 of stories260K has none; the collapsed v10 of issue 11 had 94%). */
    public static final int RUN_LENGTH = 3;

    private TextHealth() {
    }

    public static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return words;
    }

    /** Distinct n-grams / n-grams over all completions (NaN when there are none). */
    public static double distinct(List<String> completions, int n) {
        Set<List<String>> seen = new HashSet<>();
        long total = 0;
        for (String c : completions) {
            List<String> w = words(c);
            for (int i = 0; i + n <= w.size(); i++) {
                seen.add(List.copyOf(w.subList(i, i + n)));
                total++;
            }
        }
        return total == 0 ? Double.NaN : seen.size() / (double) total;
    }

    /** The longest run of one word repeated back to back in the text. */
    public static int longestRun(String text) {
        List<String> w = words(text);
        int best = w.isEmpty() ? 0 : 1;
        int run = 1;
        for (int i = 1; i < w.size(); i++) {
            run = w.get(i).equals(w.get(i - 1)) ? run + 1 : 1;
            best = Math.max(best, run);
        }
        return best;
    }

    /** Share of completions with a run of {@link #RUN_LENGTH} or more of one word (NaN for none). */
    public static double repeatRate(List<String> completions) {
        if (completions.isEmpty()) {
            return Double.NaN;
        }
        return completions.stream().filter(c -> longestRun(c) >= RUN_LENGTH).count() / (double) completions.size();
    }

    /** Share of completions that contain {@code word} as a word (the demo oracle's preference, for reports). */
    public static double wordRate(List<String> completions, String word) {
        if (completions.isEmpty()) {
            return Double.NaN;
        }
        String w = word.toLowerCase(Locale.ROOT);
        return completions.stream().filter(c -> words(c).contains(w)).count() / (double) completions.size();
    }
}
