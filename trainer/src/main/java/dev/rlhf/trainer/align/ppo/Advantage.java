package dev.rlhf.trainer.align.ppo;

import java.util.Locale;

/**
 * Which advantage estimator PPO's update uses (the {@code ppo --advantage} option).
 * <ul>
 *   <li>{@link #GAE}: per-token GAE on the critic's values (Schulman et al. 2016; TRL PPOTrainer, OpenRLHF {@code gae}).</li>
 *   <li>{@link #RLOO}: the sequence reward minus the mean of the other K - 1 samples of the same prompt
 *       (Ahmadian et al. 2024; TRL RLOOTrainer, OpenRLHF {@code rloo}): {@link RlooAdvantages}.</li>
 *   <li>{@link #GRPO}: the sequence reward minus its group's mean, divided by the group's std unless
 *       switched off (Shao et al. 2024; Dr. GRPO, Liu et al. 2025; TRL GRPOTrainer): {@link GrpoAdvantages}.</li>
 * </ul>
 * The critic-free ones load, train and save no critic.
 */
public enum Advantage {
    GAE, RLOO, GRPO;

    /** Whether this estimator needs a value model. */
    public boolean needsCritic() {
        return this == GAE;
    }

    public static Advantage parse(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "gae" -> GAE;
            case "rloo" -> RLOO;
            case "grpo" -> GRPO;
            default -> throw new IllegalArgumentException("advantage must be gae, rloo or grpo, got " + value);
        };
    }
}
