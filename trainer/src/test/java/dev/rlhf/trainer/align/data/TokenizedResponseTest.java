package dev.rlhf.trainer.align.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TokenizedResponseTest {

    @Test
    void promptThenResponseThenEosAndTruncationKeepsTheResponse() throws Exception {
        Llama2cTokenizer tokenizer = Llama2cTokenizer.load(SharedData.stories260kTokenizer(), 512);
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
        String response = " One day, she saw a dog.";
        int[] whole = tokenizer.encode(prompt + response);
        TokenizedResponse full = TokenizedResponse.of(prompt, response, tokenizer, 512);
        assertThat(full.ids()).hasSize(whole.length + 1);
        assertThat(full.ids()[full.length() - 1]).isEqualTo(tokenizer.eosId());
        assertThat(tokenizer.decode(Arrays.copyOfRange(full.ids(), full.responseFrom(), full.length() - 1),
                full.ids()[full.responseFrom() - 1])).isEqualTo(response);

        int responseTokens = full.responseTokens();
        TokenizedResponse cut = TokenizedResponse.of(prompt, response, tokenizer, responseTokens + 4);
        assertThat(cut.length()).isEqualTo(responseTokens + 4);
        assertThat(cut.ids()[0]).isEqualTo(tokenizer.bosId());
        assertThat(cut.responseFrom()).isEqualTo(4); // BOS + the prompt's last 3 tokens
        assertThat(Arrays.copyOfRange(cut.ids(), 1, cut.length()))
                .containsExactly(Arrays.copyOfRange(full.ids(), full.responseFrom() - 3, full.length()));

        TokenizedResponse tiny = TokenizedResponse.of(prompt, response, tokenizer, 3);
        assertThat(tiny.ids()).containsExactly(tokenizer.bosId(), full.ids()[full.responseFrom()], full.ids()[full.responseFrom() + 1]);
        assertThat(tiny.responseFrom()).isEqualTo(1);
    }
}
