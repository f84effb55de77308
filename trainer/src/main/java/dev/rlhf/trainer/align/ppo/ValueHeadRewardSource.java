package dev.rlhf.trainer.align.ppo;

import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.reward.RewardScorer;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A reward model: the decoder with a scalar value head, read by {@link RewardScorer} at the last
 * token of the layout the reward trainer scores its pairs in ({@link TokenizedResponse}: prompt,
 * response, EOS, at most {@code maxLength} tokens with the prompt losing its start). PPO's rollouts
 * are scored on the policy's own token ids ({@link #scoreTokens}): the prompt tokens as the policy
 * saw them and the response tokens it sampled, so the score is read at the response's last token
 * (EOS) however long the prompt was. Frozen: nothing here records gradients. Runs on whatever device
 * the model lives on (the CPU when PPO keeps frozen models off the training device).
 */
public final class ValueHeadRewardSource implements RewardSource {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final int maxLength;
    private final int batchSize;

    /** A reward model scored at its whole context ({@code maxSeqLen} tokens). */
    public ValueHeadRewardSource(LlamaModel model, TextTokenizer tokenizer, int batchSize) {
        this(model, tokenizer, model.config().maxSeqLen(), batchSize);
    }

    /**
     * @param maxLength most tokens scored, as the reward model was trained (capped by its context)
     * @param batchSize rows per forward pass
     */
    public ValueHeadRewardSource(LlamaModel model, TextTokenizer tokenizer, int maxLength, int batchSize) {
        if (!model.hasValueHead()) {
            throw new IllegalArgumentException("the reward model has no value head (train one with the reward command)");
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("reward max length must be >= 2, got " + maxLength);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxLength = Math.min(maxLength, model.config().maxSeqLen());
        this.batchSize = Math.max(1, batchSize);
    }

    /**
     * The length the checkpoint at {@code dir} was trained at ({@code reward_max_length} in its
     * metadata), or the model's context when the checkpoint does not say (not written by RewardTrainer).
     */
    public static int trainedMaxLength(Path dir, LlamaModel model) throws IOException {
        int context = model.config().maxSeqLen();
        if (!Files.isRegularFile(dir.resolve(ModelCheckpoint.MANIFEST))) {
            return context;
        }
        Map<String, String> metadata = ModelCheckpoint.readMetadata(dir);
        String value = metadata.get(RewardTrainer.MAX_LENGTH_METADATA);
        if (value == null) {
            return context;
        }
        try {
            return Math.min(Integer.parseInt(value.trim()), context);
        } catch (NumberFormatException e) {
            throw new CheckpointException(dir + ": metadata " + RewardTrainer.MAX_LENGTH_METADATA + " is not a number: " + value);
        }
    }

    public LlamaModel model() {
        return model;
    }

    /** Most tokens scored per response. */
    public int maxLength() {
        return maxLength;
    }

    /** Texts, tokenized and truncated exactly as the reward trainer does ({@link TokenizedResponse#of}). */
    @Override
    public double[] score(List<String> prompts, List<String> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        List<TokenizedResponse> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(TokenizedResponse.of(prompts.get(i), completions.get(i), tokenizer, maxLength));
        }
        return RewardScorer.rewards(model, rows, batchSize);
    }

    /** The policy's own tokens ({@link #rows}), read at the response's last token. */
    @Override
    public double[] scoreTokens(List<String> prompts, List<String> completions, List<int[]> promptIds,
                                List<int[]> responseIds) {
        return RewardScorer.rewards(model, rows(promptIds, responseIds), batchSize);
    }

    /**
     * What {@link #scoreTokens} feeds the reward model: per response, the prompt ids then the
     * response ids then EOS (unless the response ended with it), cut to {@link #maxLength()} as the
     * reward trainer cuts (BOS kept, the prompt loses its start, the response is kept).
     */
    public List<TokenizedResponse> rows(List<int[]> promptIds, List<int[]> responseIds) {
        if (promptIds.size() != responseIds.size()) {
            throw new IllegalArgumentException(promptIds.size() + " prompts but " + responseIds.size() + " responses");
        }
        List<TokenizedResponse> rows = new ArrayList<>();
        for (int i = 0; i < promptIds.size(); i++) {
            rows.add(TokenizedResponse.ofTokens(promptIds.get(i), responseIds.get(i), tokenizer.eosId(), maxLength));
        }
        return rows;
    }
}
