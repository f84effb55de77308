package dev.rlhf.trainer.align.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.align.data.PaddedBatch;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model's score of prompt + response: the decoder's value head read at the last real token
 * of {@link TokenizedResponse} (prompt, response, EOS). PPO scores its rollouts the same way.
 */
public final class RewardScorer {

    private RewardScorer() {}

    /** Rewards [N] of a right-padded batch, differentiable, owned by the batch's manager. */
    public static NDArray rewards(LlamaModel rewardModel, PaddedBatch batch) {
        NDArray hidden = rewardModel.hiddenStates(batch.tokens(), batch.keyMask(), null, null);
        return rewardModel.valuesAt(hidden, batch.lastIndex());
    }

    /** Rewards of {@code rows} as numbers, computed in batches without gradients. */
    public static double[] rewards(LlamaModel rewardModel, List<TokenizedResponse> rows, int batchSize) {
        double[] out = new double[rows.size()];
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<TokenizedResponse> batch = rows.subList(from, Math.min(from + batchSize, rows.size()));
            try (NDManager step = rewardModel.manager().newSubManager()) {
                float[] r = rewards(rewardModel, PaddedBatch.of(batch, step)).toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = 0; i < r.length; i++) {
                    out[from + i] = r[i];
                }
            }
        }
        return out;
    }

    /** Rewards of texts as replies to their prompts. */
    public static double[] rewards(LlamaModel rewardModel, TextTokenizer tokenizer, List<String> prompts,
                                   List<String> responses, int maxLength, int batchSize) {
        List<TokenizedResponse> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(TokenizedResponse.of(prompts.get(i), responses.get(i), tokenizer, maxLength));
        }
        return rewards(rewardModel, rows, batchSize);
    }

    /**
     * Pairwise accuracy over every ordered pair of the rankings (ties give none): the share of pairs
     * whose better response gets the higher reward (equal rewards count as wrong), and their number.
     */
    public record Accuracy(long pairs, long correct, double meanMargin) {
        public double accuracy() {
            return pairs == 0 ? Double.NaN : correct / (double) pairs;
        }
    }

    public static Accuracy accuracy(LlamaModel rewardModel, TextTokenizer tokenizer, List<RankedResponses> data,
                                    int maxLength, int batchSize) {
        List<TokenizedResponse> rows = new ArrayList<>();
        for (RankedResponses r : data) {
            for (String response : r.responses()) {
                rows.add(TokenizedResponse.of(r.prompt(), response, tokenizer, maxLength));
            }
        }
        double[] rewards = rewards(rewardModel, rows, batchSize);
        long pairs = 0;
        long correct = 0;
        double margin = 0;
        int offset = 0;
        for (RankedResponses r : data) {
            for (OrderedPair<Integer> pair : r.ranking().orderedPairs()) {
                double diff = rewards[offset + pair.better()] - rewards[offset + pair.worse()];
                pairs++;
                correct += diff > 0 ? 1 : 0;
                margin += diff;
            }
            offset += r.responses().size();
        }
        return new Accuracy(pairs, correct, pairs == 0 ? Double.NaN : margin / pairs);
    }
}
