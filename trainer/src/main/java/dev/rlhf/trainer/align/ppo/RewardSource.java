package dev.rlhf.trainer.align.ppo;

import java.util.List;

/**
 * What scores PPO's finished responses: the frozen reward model ({@link ValueHeadRewardSource}),
 * or any other judge of (prompt, completion) texts, such as a simulated labeler's preference.
 * Texts rather than token ids, so a scorer with its own tokenizer fits too; a completion excludes
 * the EOS token.
 */
public interface RewardSource {

    /** One score per (prompt, completion) pair, higher is better. */
    double[] score(List<String> prompts, List<String> completions);
}
