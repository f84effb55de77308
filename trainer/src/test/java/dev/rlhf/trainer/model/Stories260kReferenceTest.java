package dev.rlhf.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.Llama2cCheckpoint;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * stories260K reproduces the reference outputs in ../shared/data/README.md, computed by an
 * independent float32 implementation: prompt tokens, top-5 logits and greedy continuations.
 */
class Stories260kReferenceTest {

    static LlamaModel model;
    static Llama2cTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        model = Llama2cCheckpoint.load(SharedData.stories260kModel(), Device.cpu());
        tokenizer = Llama2cTokenizer.load(SharedData.stories260kTokenizer(), model.config().vocabSize());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void readsTheHeader() {
        assertThat(model.config()).isEqualTo(LlamaConfig.of(64, 172, 5, 8, 4, 512, 512, true));
    }

    @Test
    void emptyPromptMatchesReference() {
        int[] prompt = tokenizer.encode("");
        assertThat(prompt).containsExactly(1);
        assertTop5(prompt, new int[] {403, 385, 410, 317, 407},
                new float[] {17.0235f, 15.4062f, 13.1083f, 12.7692f, 12.4181f});
        int[] generated = greedy(prompt, 40);
        assertThat(generated).containsExactly(403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317,
                426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432,
                358, 394, 261, 370, 432, 352);
        assertThat(tokenizer.decode(generated, prompt[prompt.length - 1])).isEqualTo(
                "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, r");
    }

    @Test
    void dogPromptMatchesReference() {
        int[] prompt = tokenizer.encode("Once upon a time, a dog");
        assertThat(prompt).containsExactly(1, 403, 407, 261, 378, 432, 261, 400, 428);
        assertTop5(prompt, new int[] {395, 432, 269, 286, 263},
                new float[] {14.0682f, 10.6472f, 10.2922f, 10.097f, 9.7328f});
        int[] generated = greedy(prompt, 32);
        assertThat(generated).containsExactly(395, 392, 412, 444, 286, 399, 344, 444, 429, 275, 266, 426, 346, 286,
                399, 344, 444, 429, 275, 266, 267, 262, 411, 411, 263, 415, 294, 286, 322, 419, 292, 411);
        assertThat(tokenizer.decode(generated, prompt[prompt.length - 1]))
                .startsWith(" named Max was very excited. He was very excited to see what was inside");
    }

    private static void assertTop5(int[] prompt, int[] expectedIds, float[] expectedLogits) {
        float[] logits = lastLogits(prompt);
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        for (int rank = 0; rank < 5; rank++) {
            assertThat(order[rank]).as("rank %d", rank).isEqualTo(expectedIds[rank]);
            assertThat(logits[order[rank]]).as("logit of %d", order[rank]).isCloseTo(expectedLogits[rank], within(1e-3f));
        }
    }

    private static float[] lastLogits(int[] tokens) {
        try (NDManager step = model.manager().newSubManager()) {
            NDArray logits = model.forward(step.create(tokens).reshape(1, tokens.length));
            return logits.get("0, -1, :").toFloatArray();
        }
    }

    /** Plain full-recompute greedy decoding, independent of the generation package. */
    private static int[] greedy(int[] prompt, int newTokens) {
        int[] sequence = Arrays.copyOf(prompt, prompt.length + newTokens);
        for (int i = 0; i < newTokens; i++) {
            float[] logits = lastLogits(Arrays.copyOf(sequence, prompt.length + i));
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            sequence[prompt.length + i] = best;
        }
        return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
    }
}
