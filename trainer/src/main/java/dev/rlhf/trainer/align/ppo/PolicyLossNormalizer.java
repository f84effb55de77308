package dev.rlhf.trainer.align.ppo;

import java.util.Locale;

/**
 * What the summed per-token policy loss of a minibatch is divided by (TRL GRPOConfig {@code loss_type}).
 * <ul>
 *   <li>{@link #TOKENS}: the minibatch's response-token count, a token-level masked mean (OpenRLHF's and
 *       TRL PPOTrainer's policy loss; TRL GRPO's {@code bnpo}/{@code dapo}).</li>
 *   <li>{@link #DR_GRPO}: the constant {@code rows * max-new-tokens}, so a response's weight does not depend
 *       on its own or its batch's length (Dr. GRPO, Liu et al. 2025; TRL {@code loss_type="dr_grpo"}:
 *       {@code (per_token_loss * mask).sum() / (B * max_completion_length)}).</li>
 * </ul>
 */
public enum PolicyLossNormalizer {
    TOKENS, DR_GRPO;

    public static PolicyLossNormalizer parse(String value) {
        return switch (value.toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "tokens" -> TOKENS;
            case "dr_grpo" -> DR_GRPO;
            default -> throw new IllegalArgumentException("loss-normalizer must be tokens or dr-grpo, got " + value);
        };
    }
}
