package dev.rlhf.trainer.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Picks every row's next token where the logits are (the model's device), so that a decoding step
 * copies two numbers per row to Java instead of a vocabulary-sized row of logits: with Qwen's
 * 151,936 tokens and 64 rows that copy alone was 39 MB per step.
 *
 * <p>The decisions are {@link LogitsProcessing}'s, in its order (repetition penalty, no-repeat-n-gram,
 * temperature, top-k, top-p, then the argmax or a draw), equal up to rounding: weights are
 * exp(logit - max) in float32 where the host used double, their running sums are double from blocks
 * of about sqrt(vocab) tokens up ({@code TokenChooserTest} checks the choices against the host's
 * arithmetic on random rows, ties included). The penalties need each row's
 * context, which Java holds, so only the positions of the affected entries travel to the device.
 * Ties at a top-k or top-p cut go to the lower token id, as on the host, without a stable sort.
 */
final class TokenChooser {

    private final GenerationConfig config;

    TokenChooser(GenerationConfig config) {
        this.config = config;
    }

    /** Each row's chosen token and its log-probability under the model's unprocessed logits. */
    record Choices(int[] tokens, float[] logprobs) {}

    /**
     * @param logits   next-token logits [rows, vocab], left as they are
     * @param contexts each row's prompt and generated tokens so far, null for a row whose choice is
     *                 not needed (read only when a penalty is on)
     * @param uniforms each row's uniform draw in [0, 1) (read only when sampling)
     */
    Choices choose(NDArray logits, int[][] contexts, double[] uniforms) {
        // Everything computed here is freed on return; the logits go back to their manager.
        try (NDManager scope = logits.getManager().newSubManager()) {
            logits.tempAttach(scope);
            return chooseInScope(logits, contexts, uniforms);
        }
    }

    private Choices chooseInScope(NDArray logits, int[][] contexts, double[] uniforms) {
        NDArray raw = logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
        int rows = (int) raw.getShape().get(0);
        NDArray processed = penalise(raw, contexts);
        NDArray tokens;
        NDArray rawLogNormaliser = null;
        if (config.isGreedy()) {
            tokens = processed.argMax(1).reshape(rows, 1);
        } else {
            if (config.temperature() != 1f) {
                processed = processed.div(config.temperature());
            }
            int vocab = (int) raw.getShape().get(1);
            if (config.topK() > 0 && config.topK() < vocab) {
                NDArray cut = processed.topK(config.topK(), 1, true, false).get(0).min(new int[] {1}, true);
                processed = keepBest(processed, cut, raw.getManager().full(new Shape(rows, 1), config.topK()).toType(DataType.INT64, false));
            }
            if (config.topP() < 1f) {
                NDArray sorted = processed.sort(1).flip(1);
                NDArray size = nucleusSize(sorted);
                processed = keepBest(processed, sorted.gather(size.sub(1), 1), size);
            }
            Distribution distribution = Distribution.of(processed);
            tokens = distribution.draw(uniforms);
            if (processed == raw) { // plain sampling: the draw's normaliser is the model's
                rawLogNormaliser = distribution.logNormaliser();
            }
        }
        if (rawLogNormaliser == null) {
            rawLogNormaliser = logNormaliser(raw);
        }
        NDArray logprobs = raw.gather(tokens, 1).toType(DataType.FLOAT64, false).sub(rawLogNormaliser);
        double[] both = NDArrays.concat(new NDList(tokens.toType(DataType.FLOAT64, false), logprobs), 1)
                .toDoubleArray();
        int[] chosen = new int[rows];
        float[] chosenLogprobs = new float[rows];
        for (int row = 0; row < rows; row++) {
            chosen[row] = (int) both[2 * row];
            chosenLogprobs[row] = (float) both[2 * row + 1];
        }
        return new Choices(chosen, chosenLogprobs);
    }

    /** The repetition penalty and the n-gram ban, on the entries the rows' contexts name. */
    private NDArray penalise(NDArray logits, int[][] contexts) {
        boolean repetition = config.repetitionPenalty() != 1f;
        boolean ngrams = config.noRepeatNgramSize() > 0;
        if (!repetition && !ngrams) {
            return logits;
        }
        int vocab = (int) logits.getShape().get(1);
        NDManager manager = logits.getManager();
        NDArray out = logits;
        if (repetition) {
            long[] seen = flatPositions(contexts, vocab, context -> LogitsProcessing.distinctTokens(context, vocab));
            if (seen.length > 0) {
                NDArray at = manager.create(seen);
                NDArray values = out.take(at);
                float penalty = config.repetitionPenalty();
                // CTRL: divide positive logits, multiply negative ones (the host's float arithmetic).
                out = out.put(at, NDArrays.where(values.gt(0f), values.div(penalty), values.mul(penalty)));
            }
        }
        if (ngrams) {
            long[] banned = flatPositions(contexts, vocab,
                    context -> LogitsProcessing.repeatedNgramCompletions(context, config.noRepeatNgramSize()));
            if (banned.length > 0) {
                out = out.put(manager.create(banned), manager.full(new Shape(banned.length), Float.NEGATIVE_INFINITY));
            }
        }
        return out;
    }

    /** log of the sum of exp(logits) per row [rows, 1], in double. */
    private static NDArray logNormaliser(NDArray logits) {
        NDArray max = logits.max(new int[] {1}, true);
        return logits.sub(max).exp().sum(new int[] {1}, true).toType(DataType.FLOAT64, false).log()
                .add(max.toType(DataType.FLOAT64, false));
    }

    private static long[] flatPositions(int[][] contexts, int vocab, java.util.function.Function<int[], int[]> tokensOf) {
        long[] positions = new long[16];
        int count = 0;
        for (int row = 0; row < contexts.length; row++) {
            if (contexts[row] == null) {
                continue;
            }
            for (int token : tokensOf.apply(contexts[row])) {
                if (token < 0 || token >= vocab) {
                    continue; // not in this row's logits (the host arithmetic skips them too)
                }
                if (count == positions.length) {
                    positions = Arrays.copyOf(positions, count * 2);
                }
                positions[count++] = (long) row * vocab + token;
            }
        }
        return Arrays.copyOf(positions, count);
    }

    /**
     * Keeps each row's {@code keep[row]} highest logits, whose lowest is {@code cut[row]}, and sets the
     * rest to -infinity. Where more entries equal the cut than there is room for, the lower ids
     * are kept, counted in id order (rare, but whole-number logits tie).
     */
    private static NDArray keepBest(NDArray logits, NDArray cut, NDArray keep) {
        NDArray above = logits.gt(cut);
        NDArray atCut = logits.eq(cut);
        NDArray room = keep.sub(above.sum(new int[] {1}, true));
        NDArray kept = above.logicalOr(atCut);
        if (atCut.sum(new int[] {1}, true).gt(room).any().getBoolean()) {
            NDArray tieRank = atCut.toType(DataType.INT64, false).cumSum(1);
            kept = above.logicalOr(atCut.logicalAnd(tieRank.lte(room)));
        }
        return NDArrays.where(kept, logits, logits.getManager().create(Float.NEGATIVE_INFINITY));
    }

    /**
     * How many of each row's most likely tokens the nucleus holds: every token whose more likely
     * tokens have a mass below p, at least one (the host's loop). The sorted values alone decide it,
     * so the order of ties does not matter. {@code sorted}: each row's logits, largest first; returns [rows, 1].
     */
    private NDArray nucleusSize(NDArray sorted) {
        NDArray mass = sorted.toType(DataType.FLOAT64, false).softmax(1).cumSum(1);
        long vocab = sorted.getShape().get(1);
        return mass.lt(config.topP()).sum(new int[] {1}, true).add(1).minimum(vocab);
    }

    /**
     * A row-wise categorical distribution as unnormalised weights exp(logit - max) in float32, with
     * their sums in double, read in blocks of about sqrt(vocab) tokens so that a draw needs no
     * vocabulary-long cumulative sum: one pass over the weights for the block sums, then a search
     * among the block sums and among one block's weights.
     */
    private record Distribution(NDArray byBlock, NDArray max, NDArray blockMass, NDArray massThrough, NDArray total) {

        static final int ONE_BLOCK_UP_TO = 4096;

        static Distribution of(NDArray logits) {
            NDManager manager = logits.getManager();
            int rows = (int) logits.getShape().get(0);
            int vocab = (int) logits.getShape().get(1);
            int blockSize = blockSize(vocab);
            int blocks = (vocab + blockSize - 1) / blockSize;
            NDArray max = logits.max(new int[] {1}, true);
            NDArray weights = logits.sub(max).exp(); // filtered tokens weigh 0
            if (blocks * blockSize > vocab) {
                weights = weights.concat(manager.zeros(new Shape(rows, (long) blocks * blockSize - vocab)), 1);
            }
            NDArray byBlock = weights.reshape(rows, blocks, blockSize);
            NDArray blockMass = byBlock.sum(new int[] {2}).toType(DataType.FLOAT64, false);
            NDArray massThrough = blockMass.cumSum(1);
            NDArray total = massThrough.get(new NDIndex().addAllDim().addSliceDim(blocks - 1, blocks));
            return new Distribution(byBlock, max, blockMass, massThrough, total);
        }

        /**
         * One block up to {@value #ONE_BLOCK_UP_TO} tokens, where a row-long cumulative sum costs less
         * than the dozen native calls of a second level; above, about sqrt(vocab), preferably a
         * divisor of it, since padding the weights to whole blocks copies all of them (151,936 =
         * 1,187 blocks of 128; 128,256 = 384 of 334; 32,000 = 200 of 160).
         */
        static int blockSize(int vocab) {
            if (vocab <= ONE_BLOCK_UP_TO) {
                return vocab;
            }
            int root = (int) Math.ceil(Math.sqrt(vocab));
            for (int size = root; size >= root / 4 && size > 1; size--) {
                if (vocab % size == 0) {
                    return size;
                }
            }
            return root;
        }

        /** log of the sum of exp(logits), per row [rows, 1], in double. */
        NDArray logNormaliser() {
            return max.toType(DataType.FLOAT64, false).add(total.log());
        }

        /**
         * Inverse-CDF draws, as {@link LogitsProcessing}'s host loop did: the first token whose
         * cumulative mass exceeds the row's uniform times the total; one that rounding leaves at or
         * above the total gets the last token that carries weight. Returns ids [rows, 1].
         */
        NDArray draw(double[] uniforms) {
            NDManager manager = total.getManager();
            int rows = (int) byBlock.getShape().get(0);
            int blockSize = (int) byBlock.getShape().get(2);
            NDArray target = manager.create(uniforms, new Shape(rows, 1)).mul(total);
            if (byBlock.getShape().get(1) == 1) {
                return firstAbove(byBlock.reshape(rows, blockSize).toType(DataType.FLOAT64, false).cumSum(1), target);
            }
            NDArray block = firstAbove(massThrough, target);
            NDArray massBefore = massThrough.sub(blockMass).gather(block, 1);
            NDArray inBlock = byBlock.gather(block.reshape(rows, 1, 1).broadcast(rows, 1, blockSize), 1)
                    .reshape(rows, blockSize).toType(DataType.FLOAT64, false).cumSum(1).add(massBefore);
            return block.mul(blockSize).add(firstAbove(inBlock, target));
        }

        /** Per row, the first position whose running mass exceeds the target, else the last that adds mass. */
        private static NDArray firstAbove(NDArray running, NDArray target) {
            int width = (int) running.getShape().get(1);
            NDArray end = running.get(new NDIndex().addAllDim().addSliceDim(width - 1, width));
            return running.lte(target).sum(new int[] {1}, true).minimum(running.lt(end).sum(new int[] {1}, true));
        }
    }
}
