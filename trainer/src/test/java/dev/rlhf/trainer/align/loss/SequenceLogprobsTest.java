package dev.rlhf.trainer.align.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class SequenceLogprobsTest {

    static final float LN2 = (float) Math.log(2);
    static final float LN3 = (float) Math.log(3);

    /**
     * Two sequences, vocabulary 3, three positions.
     * row 0: t0 logits (0, 0, 0), target 1        -> log(1/3)              = -1.0986123
     *        t1 logits (0, ln2, ln3), target 2    -> softmax (1,2,3)/6: log(3/6) = -0.6931472
     *        t2 padding (mask 0, target -100)      -> 0
     *        sum = -ln 6 = -1.7917595, mean over 2 tokens = -0.8958797
     * row 1: t0 prompt (mask 0)                    -> 0
     *        t1 logits (1000, 0, 0), target 0     -> -log(1 + 2 e^-1000) = 0 (no overflow)
     *        t2 logits (1000, 0, 0), target 1     -> -1000
     *        sum = -1000, mean = -500
     */
    @Test
    void perTokenSumAndMeanMatchHandComputedLogSoftmax() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = logits(manager);
            NDArray targets = manager.create(new long[] {1, 2, -100, 0, 0, 1}, new Shape(2, 3));
            NDArray mask = manager.create(new int[] {1, 1, 0, 0, 1, 1}, new Shape(2, 3));

            SequenceLogprobs.Result r = SequenceLogprobs.of(logits, targets, mask);

            assertThat(r.perToken().toFloatArray()).containsExactly(
                    new float[] {-LN3, -LN2, 0, 0, 0, -1000}, within(1e-5f));
            assertThat(r.sum().toFloatArray()).containsExactly(new float[] {-(LN2 + LN3), -1000}, within(1e-4f));
            assertThat(r.mean().toFloatArray()).containsExactly(new float[] {-(LN2 + LN3) / 2, -500}, within(1e-4f));
            assertThat(r.count().toFloatArray()).containsExactly(2, 2);
        }
    }

    /** The rollout shares one log_softmax between log-probabilities and entropy: it must give the same bits. */
    @Test
    void perTokenOfLogprobsIsPerTokenToTheBit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.randomNormal(new Shape(3, 5, 7));
            NDArray targets = manager.randomInteger(0, 7, new Shape(3, 5), ai.djl.ndarray.types.DataType.INT64);
            NDArray mask = manager.create(new float[] {1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1}, new Shape(3, 5));

            float[] fromLogits = SequenceLogprobs.perToken(logits, targets, mask).toFloatArray();
            float[] shared = SequenceLogprobs.perTokenOfLogprobs(logits.logSoftmax(-1), targets, mask).toFloatArray();

            assertThat(shared).containsExactly(fromLogits);
        }
    }

    /**
     * d(sum of log p)/d logits = onehot(target) - softmax at each masked position, 0 elsewhere.
     * row 0, t0: onehot(1) - (1/3, 1/3, 1/3) = (-1/3, 2/3, -1/3)
     * row 0, t1: onehot(2) - (1/6, 2/6, 3/6) = (-1/6, -1/3, 1/2)
     * row 0, t2 (padding): (0, 0, 0)
     */
    @Test
    void gradientOfTheSumIsOneHotMinusSoftmaxOnMaskedPositions() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = logits(manager);
            logits.setRequiresGradient(true);
            NDArray targets = manager.create(new long[] {1, 2, -100, 0, 0, 1}, new Shape(2, 3));
            NDArray mask = manager.create(new int[] {1, 1, 0, 0, 1, 1}, new Shape(2, 3));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(SequenceLogprobs.of(logits, targets, mask).sum().sum());
            }
            float[] g = logits.getGradient().get("0").toFloatArray();
            assertThat(g).containsExactly(new float[] {
                    -1f / 3, 2f / 3, -1f / 3,
                    -1f / 6, -1f / 3, 0.5f,
                    0, 0, 0}, within(1e-5f));
        }
    }

    /** ofSequence scores tokens[1:] with logits[:-1]: tokens (9, 1, 2), response mask (0, 1, 1). */
    @Test
    void ofSequenceShiftsLogitsAgainstTheNextToken() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // logits at t0 = (0, 0, 0) predicts token 1 -> -ln3; t1 = (0, ln2, ln3) predicts 2 -> -ln2; t2 unused.
            NDArray logits = manager.create(new float[] {0, 0, 0, 0, LN2, LN3, 5, 5, 5}, new Shape(1, 3, 3));
            NDArray tokens = manager.create(new int[] {9, 1, 2}, new Shape(1, 3));
            NDArray mask = manager.create(new int[] {0, 1, 1}, new Shape(1, 3));
            SequenceLogprobs.Result r = SequenceLogprobs.ofSequence(logits, tokens, mask);
            assertThat(r.sum().getFloat()).isCloseTo(-(LN2 + LN3), within(1e-5f));
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.zeros(new Shape(2, 3, 4));
            assertThatThrownBy(() -> SequenceLogprobs.of(logits, manager.zeros(new Shape(2, 2)), manager.zeros(new Shape(2, 2))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[B, T]");
        }
    }

    private static NDArray logits(NDManager manager) {
        return manager.create(new float[] {
                0, 0, 0, /**/ 0, LN2, LN3, /**/ 7, 7, 7,
                3, 1, 2, /**/ 1000, 0, 0, /**/ 1000, 0, 0}, new Shape(2, 3, 3));
    }
}
