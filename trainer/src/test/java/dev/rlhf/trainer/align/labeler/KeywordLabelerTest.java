package dev.rlhf.trainer.align.labeler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.trainer.align.reward.Ranking;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeywordLabelerTest {

    @Test
    void scoreCountsWholeWordMentionsOfAnyConfiguredWord() {
        KeywordLabeler dog = new KeywordLabeler("dog", 0, 1);
        assertThat(dog.score("", "The Dog saw a dog. Dogs and hotdogs do not count, but dog, does.")).isEqualTo(3);
        assertThat(dog.mentions("a cat")).isFalse();
        KeywordLabeler sun = new KeywordLabeler("Sun", 0, 1);
        assertThat(sun.score("", "the sun, the SUN; sunny")).isEqualTo(2);
    }

    @Test
    void trueRankingOrdersByCountWithEqualCountsTied() {
        KeywordLabeler ball = new KeywordLabeler("ball", 0, 1);
        List<String> responses = List.of("no", "a ball", "ball ball", "nothing", "one ball");
        assertThat(ball.trueRanking("p", responses)).isEqualTo(new Ranking(List.of(new int[] {2}, new int[] {1, 4}, new int[] {0, 3})));
        assertThat(ball.rank("p", responses)).isEqualTo(ball.trueRanking("p", responses)); // flip rate 0
    }

    @Test
    void flipsTheConfiguredShareOfRankingsReproducibly() {
        List<String> responses = List.of("tree tree", "tree", "leaf");
        int flipped = 0;
        KeywordLabeler noisy = new KeywordLabeler("tree", 0.1, 42);
        KeywordLabeler same = new KeywordLabeler("tree", 0.1, 42);
        for (int i = 0; i < 5000; i++) {
            Ranking r = noisy.rank("p", responses);
            assertThat(same.rank("p", responses)).isEqualTo(r);
            if (r.equals(Ranking.of(2, 1, 0))) {
                flipped++;
            } else {
                assertThat(r).isEqualTo(Ranking.of(0, 1, 2));
            }
        }
        assertThat(flipped / 5000.0).isBetween(0.09, 0.11);
    }

    /** Thumbs: up when the word is mentioned; flip rate 1 reverses every thumb; 10% noise flips about a tenth, reproducibly. */
    @Test
    void thumbsFollowTheMentionFlippedAtTheConfiguredRate() {
        KeywordThumbs exact = new KeywordThumbs("park", 0, 1);
        KeywordThumbs always = new KeywordThumbs("park", 1, 1);
        assertThat(exact.up("They went to the park.")).isTrue();
        assertThat(exact.up("They went home.")).isFalse();
        assertThat(always.up("They went to the park.")).isFalse();
        assertThat(always.up("They went home.")).isTrue();
        KeywordThumbs noisy = new KeywordThumbs("park", 0.1, 42);
        KeywordThumbs same = new KeywordThumbs("park", 0.1, 42);
        int flipped = 0;
        for (int i = 0; i < 2000; i++) {
            boolean up = noisy.up("the park");
            assertThat(same.up("the park")).isEqualTo(up);
            flipped += up ? 0 : 1;
        }
        assertThat(flipped).isBetween(150, 250); // 200 expected, binomial sd 13.4
    }

    @Test
    void rejectsABlankWordOrAFlipRateOutsideZeroToOne() {
        assertThatThrownBy(() -> new KeywordLabeler(" ", 0.1, 1)).hasMessageContaining("word");
        assertThatThrownBy(() -> new KeywordLabeler("x", 1.5, 1)).hasMessageContaining("flip rate");
    }
}
