package dev.rlhf.trainer.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextHealthTest {

    @Test
    void wordsAreLowercasedRunsOfLettersDigitsAndApostrophes() {
        assertThat(TextHealth.words(" The big, BIG dog's ball! 3 times")).containsExactly("the", "big", "big", "dog's", "ball", "3", "times");
        assertThat(TextHealth.words(" ...  ")).isEmpty();
    }

    @Test
    void distinctNCountsDistinctNgramsOverAllCompletions() {
        // "a big dog" -> unigrams a, big, dog; bigrams (a big), (big dog)
        // "a big cat" -> unigrams a, big, cat; bigrams (a big), (big cat)
        // distinct-1 = |{a, big, dog, cat}| / 6 = 4/6; distinct-2 = |{a big, big dog, big cat}| / 4 = 3/4
        List<String> completions = List.of("a big dog", "A big cat.");
        assertThat(TextHealth.distinct(completions, 1)).isCloseTo(4 / 6.0, within(1e-12));
        assertThat(TextHealth.distinct(completions, 2)).isCloseTo(3 / 4.0, within(1e-12));
        // A completion of one word has no bigram; none at all gives NaN, not 0 or 1.
        assertThat(TextHealth.distinct(List.of("big"), 2)).isNaN();
    }

    @Test
    void aRepeatedWordRunOfThreeMarksACompletion() {
        assertThat(TextHealth.longestRun("a a big fish r a big fish")).isEqualTo(2);
        assertThat(TextHealth.longestRun("a a a a li a")).isEqualTo(4);
        assertThat(TextHealth.longestRun("Big, big. BIG!")).isEqualTo(3);
        assertThat(TextHealth.longestRun("")).isZero();
        // 2 of 4 completions have a run of 3 or more.
        assertThat(TextHealth.repeatRate(List.of("the dog ran", "a a a a", "big big big cat", "so so good")))
                .isCloseTo(0.5, within(1e-12));
        assertThat(TextHealth.repeatRate(List.of())).isNaN();
    }

    @Test
    void wordRateCountsCompletionsThatUseTheWord() {
        assertThat(TextHealth.wordRate(List.of("a big dog", "bigger", "The BIG one", "none"), "big")).isCloseTo(0.5, within(1e-12));
    }
}
