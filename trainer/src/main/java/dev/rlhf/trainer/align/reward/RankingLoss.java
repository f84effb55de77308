package dev.rlhf.trainer.align.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward model's K-way ranking loss (InstructGPT, Ouyang et al. 2022, eq. 1):
 * {@code loss(theta) = -1/C(K,2) * E[log sigmoid(r(x, y_w) - r(x, y_l))]} over every pair of one
 * ranking, with all pairs of a ranking in the same batch element so that each ranking costs one
 * forward pass per response and the pairs do not get fitted as independent samples.
 *
 * <p>Normalisation, as InstructGPT's 1/C(K,2): each ranking contributes the <em>mean</em> of its
 * pairwise terms, and the batch loss is the mean over rankings. A ranking of 9 responses (36 pairs)
 * thus weighs as much as a ranking of 2 (1 pair) instead of 36 times as much, which InstructGPT
 * found to overfit less. Tie groups give no pair; with ties a ranking has fewer than C(K,2) pairs
 * and is averaged over the pairs it has. Rankings without any pair (everything tied) are left out.
 * An optional margin m (Llama 2's margin loss) asks for {@code r_better - r_worse > m}:
 * {@code -log sigmoid(r_better - r_worse - m)}; one constant, or per pair ({@link PairMargins}: Llama 2's m(r) from the
 * graded choice, as TRL's RewardTrainer subtracts a {@code margin} column).
 *
 * <p>Metrics over all pairs of the batch, each pair counting once: {@code loss}, {@code accuracy}
 * (share of pairs with r_better > r_worse, a tie counting as wrong) and {@code margin} (mean
 * r_better - r_worse).
 */
public final class RankingLoss {

    public static final String LOSS = "loss";
    public static final String ACCURACY = "accuracy";
    public static final String MARGIN = "margin";

    private RankingLoss() {
    }

    /** The margin each ordered pair of one ranking asks for, by the ranking's response indices. */
    @FunctionalInterface
    public interface PairMargins {
        double of(int better, int worse);

        static PairMargins constant(double margin) {
            return (better, worse) -> margin;
        }
    }

    /**
     * Every (better, worse) pair of the batch, its weight 1 / (pairs of its ranking * rankings
     * with a pair), so that the weights sum to 1, and its margin.
     */
    public record Pairs(long[] better, long[] worse, float[] weight, float[] margin) {

        public static Pairs of(List<Ranking> rankings, long responses) {
            return of(rankings, responses, java.util.Collections.nCopies(rankings.size(), PairMargins.constant(0)));
        }

        /** With {@code margins.get(i)} the margins of {@code rankings.get(i)}'s pairs. */
        public static Pairs of(List<Ranking> rankings, long responses, List<PairMargins> margins) {
            if (margins.size() != rankings.size()) {
                throw new IllegalArgumentException(margins.size() + " margin functions for " + rankings.size() + " rankings");
            }
            List<PairMargins> withPairs = new java.util.ArrayList<>();
            for (int r = 0; r < rankings.size(); r++) {
                if (rankings.get(r).pairCount() > 0) {
                    withPairs.add(margins.get(r));
                }
            }
            List<List<OrderedPair<Integer>>> perRanking = rankings.stream().map(Ranking::orderedPairs).filter(p -> !p.isEmpty()).toList();
            if (perRanking.isEmpty()) {
                throw new IllegalArgumentException("no ranking in the batch orders two responses (all tied or single)");
            }
            int total = perRanking.stream().mapToInt(List::size).sum();
            long[] better = new long[total];
            long[] worse = new long[total];
            float[] weight = new float[total];
            float[] margin = new float[total];
            int i = 0;
            for (int r = 0; r < perRanking.size(); r++) {
                List<OrderedPair<Integer>> pairs = perRanking.get(r);
                double w = 1.0 / ((double) pairs.size() * perRanking.size());
                for (OrderedPair<Integer> pair : pairs) {
                    if (pair.better() >= responses || pair.worse() >= responses) {
                        throw new IllegalArgumentException("a ranking refers to response " + Math.max(pair.better(), pair.worse())
                                + " but the batch has " + responses + " rewards");
                    }
                    better[i] = pair.better();
                    worse[i] = pair.worse();
                    weight[i] = (float) w;
                    margin[i] = (float) withPairs.get(r).of(pair.better(), pair.worse());
                    i++;
                }
            }
            return new Pairs(better, worse, weight, margin);
        }

        public int size() {
            return better.length;
        }
    }

    /**
     * @param rewards  scalar rewards [N] of the batch's responses (from the reward head, differentiable)
     * @param rankings rankings over indices into {@code rewards}
     * @param margin   required reward gap (0 for InstructGPT's loss)
     */
    public static LossOutput compute(NDArray rewards, List<Ranking> rankings, double margin) {
        return compute(rewards, rankings, java.util.Collections.nCopies(rankings.size(), PairMargins.constant(margin)));
    }

    /**
     * @param rewards  scalar rewards [N] of the batch's responses (from the reward head, differentiable)
     * @param rankings rankings over indices into {@code rewards}
     * @param margins  per ranking, the reward gap each of its pairs asks for (by indices into {@code rewards})
     */
    public static LossOutput compute(NDArray rewards, List<Ranking> rankings, List<PairMargins> margins) {
        if (rewards.getShape().dimension() != 1) {
            throw new IllegalArgumentException("rewards must be [N], got " + rewards.getShape());
        }
        Pairs pairs = Pairs.of(rankings, rewards.getShape().get(0), margins);
        NDManager owner = rewards.getManager();
        NDArray better = rewards.gather(owner.create(pairs.better()), 0);
        NDArray worse = rewards.gather(owner.create(pairs.worse()), 0);
        NDArray diff = better.sub(worse); // [P]
        NDArray weight = owner.create(pairs.weight()).toType(rewards.getDataType(), false);
        NDArray margin = owner.create(pairs.margin()).toType(rewards.getDataType(), false);
        NDArray loss = Functions.logSigmoid(diff.sub(margin)).mul(weight).sum().neg();

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(LOSS, Functions.scalar(loss));
        try (NDManager scratch = owner.newSubManager()) {
            NDArray d = Functions.detached(diff, scratch);
            metrics.put(ACCURACY, (double) d.gt(0).toType(DataType.FLOAT32, false).mean().getFloat());
            metrics.put(MARGIN, (double) d.toType(DataType.FLOAT32, false).mean().getFloat());
        }
        return new LossOutput(loss, metrics);
    }
}
