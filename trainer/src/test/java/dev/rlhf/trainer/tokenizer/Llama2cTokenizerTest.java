package dev.rlhf.trainer.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stories260K tok512.bin vocabulary, against the encodings in ../shared/data/README.md. */
class Llama2cTokenizerTest {

    static Llama2cTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = Llama2cTokenizer.load(SharedData.stories260kTokenizer(), 512);
    }

    @Test
    void encodesTheReferencePrompts() {
        assertThat(tokenizer.encode("")).containsExactly(1);
        assertThat(tokenizer.encode("Once upon a time, a dog")).containsExactly(1, 403, 407, 261, 378, 432, 261, 400, 428);
    }

    @Test
    void knowsItsSpecialAndByteTokens() {
        assertThat(tokenizer.vocabSize()).isEqualTo(512);
        assertThat(tokenizer.bosId()).isEqualTo(1);
        assertThat(tokenizer.eosId()).isEqualTo(2);
        assertThat(tokenizer.piece(3)).isEqualTo("<0x00>");
        assertThat(tokenizer.piece(403)).isEqualTo(" Once");
    }

    @Test
    void unknownCharactersFallBackToUtf8Bytes() {
        byte[] utf8 = "😀".getBytes(StandardCharsets.UTF_8);
        int[] ids = tokenizer.encode("😀", false);
        assertThat(ids).hasSize(1 + utf8.length); // dummy-prefix space, then one id per byte
        for (int i = 0; i < utf8.length; i++) {
            assertThat(ids[1 + i]).isEqualTo((utf8[i] & 0xff) + 3);
        }
    }

    @Test
    void decodingInvertsEncodingAndDropsTheDummyPrefixAfterBos() {
        for (String text : new String[] {"Once upon a time, a dog", "Tim said: \"Hi!\" 42 times.", "Zoë ate crème brûlée 😀"}) {
            assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);
        }
        // Without BOS in front, the dummy-prefix space stays (as llama2.c prints it).
        assertThat(tokenizer.decode(tokenizer.encode("a dog", false))).isEqualTo(" a dog");
        assertThat(tokenizer.decode(new int[] {403, 407}, 1)).isEqualTo("Once upon");
        assertThat(tokenizer.decode(new int[] {403, 407}, 428)).isEqualTo(" Once upon");
    }

    @Test
    void mergesThePairWithTheHighestScoreFirst() {
        // " a" (score -2) is merged before anything else in " a"; the result is one token.
        assertThat(tokenizer.encode("a", false)).containsExactly(261);
        assertThat(tokenizer.score(261)).isGreaterThan(tokenizer.score(403));
    }
}
