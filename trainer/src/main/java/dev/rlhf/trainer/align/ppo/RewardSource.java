package dev.rlhf.trainer.align.ppo;

import java.util.List;

/**
 * What scores PPO's finished responses: the frozen reward model ({@link ValueHeadRewardSource}),
 * or any other judge of (prompt, completion) texts, such as a simulated labeler's preference.
 * Texts rather than token ids, so a scorer with its own tokenizer fits too; a completion excludes
 * the EOS token. A scorer that shares the policy's tokenizer overrides {@link #scoreTokens} to read
 * the policy's own token ids.
 */
public interface RewardSource {

    /** One score per (prompt, completion) pair, higher is better. */
    double[] score(List<String> prompts, List<String> completions);

    /**
     * One score per rollout response, given both as texts and as the token ids the policy saw and
     * wrote: {@code promptIds} (BOS first, truncated as the policy's context required) and
     * {@code responseIds} (as sampled, EOS included when the policy ended the response). The default
     * scores the texts.
     */
    default double[] scoreTokens(List<String> prompts, List<String> completions, List<int[]> promptIds,
                                 List<int[]> responseIds) {
        return score(prompts, completions);
    }
}
