package dev.rlhf.trainer.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The device-side choice against hand-computed draws and against the host reference
 * ({@link HostSampling}) on random rows.
 */
class TokenChooserTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** One row of logits, drawn once per uniform (each draw its own row of a batch). */
    private int[] draws(float[] logits, GenerationConfig config, int[] context, double... uniforms) {
        int rows = uniforms.length;
        float[] flat = new float[rows * logits.length];
        int[][] contexts = new int[rows][];
        for (int row = 0; row < rows; row++) {
            System.arraycopy(logits, 0, flat, row * logits.length, logits.length);
            contexts[row] = context;
        }
        return new TokenChooser(config).choose(manager.create(flat, new Shape(rows, logits.length)), contexts, uniforms)
                .tokens();
    }

    private static GenerationConfig sampling() {
        return GenerationConfig.defaults();
    }

    @Test
    void topKDrawsOnlyAmongTheKBest() {
        // kept: ids 1 (logit 5) and 3 (logit 4); p(1) = 1 / (1 + e^-1) = 0.7311
        float[] logits = {1f, 5f, 3f, 4f, 2f};
        assertThat(draws(logits, sampling().withTopK(2), new int[0], 0.0, 0.73, 0.732, 0.9999))
                .containsExactly(1, 1, 3, 3);
    }

    @Test
    void tiesAtTheTopKCutGoToTheLowerIds() {
        // ids 1, 2, 3 tie; k = 2 keeps 1 and 2, each with probability 1/2
        float[] logits = {2f, 3f, 3f, 3f, 1f};
        assertThat(draws(logits, sampling().withTopK(2), new int[0], 0.0, 0.49, 0.51, 0.9999))
                .containsExactly(1, 1, 2, 2);
    }

    @Test
    void topPDrawsWithinTheSmallestSetWithEnoughMass() {
        // probabilities 0.5, 0.3, 0.15, 0.05: p = 0.7 keeps 0 and 1 (renormalised 0.625 / 0.375)
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        assertThat(draws(logits, sampling().withTopP(0.7f), new int[0], 0.0, 0.62, 0.63, 0.9999))
                .containsExactly(0, 0, 1, 1);
        assertThat(draws(logits, sampling().withTopP(0.4f), new int[0], 0.0, 0.9999)).containsExactly(0, 0);
        assertThat(draws(logits, sampling().withTopP(0.96f), new int[0], 0.9999)).containsExactly(3);
    }

    @Test
    void drawsFollowTheCumulativeMassAndSkipImpossibleTokens() {
        // probabilities 0.2, 0, 0.5, 0.3
        float[] logits = {(float) Math.log(0.2), NEG_INF, (float) Math.log(0.5), (float) Math.log(0.3)};
        assertThat(draws(logits, sampling(), new int[0], 0.0, 0.19, 0.21, 0.69, 0.71, 0.9999999))
                .containsExactly(0, 0, 2, 2, 3, 3);
    }

    @Test
    void temperatureSharpensTheDraw() {
        // logits 0 and ln 3: p(1) = 0.75 at temperature 1, 9 / 10 at temperature 0.5
        float[] logits = {0f, (float) Math.log(3)};
        assertThat(draws(logits, sampling(), new int[0], 0.2, 0.26)).containsExactly(0, 1);
        assertThat(draws(logits, sampling().withTemperature(0.5f), new int[0], 0.09, 0.11)).containsExactly(0, 1);
    }

    @Test
    void greedyTakesTheFirstBestAfterThePenalties() {
        GenerationConfig greedy = GenerationConfig.greedy(1);
        assertThat(draws(new float[] {1f, 3f, 3f}, greedy, new int[0], 0)).containsExactly(1);
        // token 0 was seen: 2 / 2 = 1 < 1.5
        assertThat(draws(new float[] {2f, -2f, 1.5f}, greedy.withRepetitionPenalty(2f), new int[] {0, 1, 1}, 0))
                .containsExactly(2);
        // ... 4 5 6 ... 4 5: 6 would repeat the trigram (4, 5, 6)
        float[] favoursSix = new float[10];
        favoursSix[6] = 5f;
        favoursSix[7] = 4f;
        assertThat(draws(favoursSix, greedy.withNoRepeatNgramSize(3), new int[] {1, 4, 5, 6, 7, 4, 5}, 0))
                .containsExactly(7);
    }

    @Test
    void aDrawNearOneTakesTheLastTokenWithWeightAcrossBlocks() {
        // 5,000 tokens in 100 blocks of 50; only ids 10 and 130 can be drawn, the last blocks all -infinity
        float[] logits = new float[5000];
        java.util.Arrays.fill(logits, NEG_INF);
        logits[10] = 0f;
        logits[130] = 0f;
        assertThat(draws(logits, sampling(), new int[0], 0.0, 0.49, 0.51, Math.nextDown(1.0)))
                .containsExactly(10, 10, 130, 130);
    }

    @Test
    void rowsWithoutAContextAreNotPenalisedAndTopKOfTheWholeVocabularyKeepsAll() {
        float[] logits = {2f, -2f, 1.5f};
        TokenChooser.Choices choices = new TokenChooser(GenerationConfig.greedy(1).withRepetitionPenalty(2f))
                .choose(manager.create(new float[] {2f, -2f, 1.5f, 2f, -2f, 1.5f}, new Shape(2, 3)),
                        new int[][] {{0}, null}, new double[2]);
        assertThat(choices.tokens()).containsExactly(2, 0);
        // k = vocabulary size filters nothing: p(2) = e^1.5 / (e^2 + e^-2 + e^1.5) = 0.37
        assertThat(draws(logits, sampling().withTopK(3), new int[0], 0.60, 0.99)).containsExactly(0, 2);
    }

    @Test
    void logprobIsTheModelsBeforeAnyProcessing() {
        float[] logits = {2f, -2f, 1.5f};
        TokenChooser.Choices choices = new TokenChooser(GenerationConfig.greedy(1).withRepetitionPenalty(2f))
                .choose(manager.create(logits, new Shape(1, 3)), new int[][] {{0}}, new double[1]);
        assertThat(choices.tokens()).containsExactly(2);
        double expected = 1.5 - Math.log(Math.exp(2) + Math.exp(-2) + Math.exp(1.5));
        assertThat(choices.logprobs()[0]).isCloseTo((float) expected, within(1e-6f));
    }

    @Test
    void choosesWhatTheHostReferenceChoosesOnRandomRows() {
        // 64: one block; 5,000: 100 blocks of 50; 4,099 (a prime): 64 blocks of 65, the last padded
        int compared = 0;
        for (int vocab : new int[] {64, 5000, 4099}) {
            compared += compareWithHost(vocab, 200, new Random(vocab));
        }
        assertThat(compared).isEqualTo(6 * 3 * 200);
    }

    private int compareWithHost(int vocab, int rows, Random random) {
        GenerationConfig[] configs = {
            sampling(),
            sampling().withTemperature(0.7f).withTopK(5),
            sampling().withTemperature(1.3f).withTopP(0.8f),
            sampling().withTopK(20).withTopP(0.5f).withRepetitionPenalty(1.3f),
            sampling().withNoRepeatNgramSize(2).withRepetitionPenalty(0.8f),
            GenerationConfig.greedy(1).withRepetitionPenalty(1.5f).withNoRepeatNgramSize(3),
        };
        int compared = 0;
        for (GenerationConfig config : configs) {
            float[] flat = new float[rows * vocab];
            int[][] contexts = new int[rows][];
            double[] uniforms = new double[rows];
            for (int row = 0; row < rows; row++) {
                for (int v = 0; v < vocab; v++) {
                    // whole numbers in a narrow range make ties at the cuts common
                    flat[row * vocab + v] = row % 3 == 0 ? random.nextInt(6) : (float) (random.nextGaussian() * 3);
                }
                contexts[row] = random.ints(1 + random.nextInt(30), 0, vocab).toArray();
                uniforms[row] = random.nextDouble();
            }
            TokenChooser.Choices choices = new TokenChooser(config)
                    .choose(manager.create(flat, new Shape(rows, vocab)), contexts, uniforms);
            for (int row = 0; row < rows; row++) {
                float[] logits = java.util.Arrays.copyOfRange(flat, row * vocab, (row + 1) * vocab);
                int expected = HostSampling.choose(logits, contexts[row], config, uniforms[row]);
                assertThat(choices.tokens()[row]).as("vocab %d, row %d under %s", vocab, row, config).isEqualTo(expected);
                assertThat(choices.logprobs()[row])
                        .isCloseTo(LogitsProcessing.logSoftmaxAt(logits, expected), within(1e-5f));
                compared++;
            }
        }
        return compared;
    }
}
