package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO-ptx (InstructGPT eq. 2): the actor minimises the PPO policy loss plus {@code gamma_ptx}
 * times the language-model loss on pretraining (or SFT) batches, which keeps performance on the
 * pretraining distribution (InstructGPT's fix for the "alignment tax"; gamma = 27.8).
 * With {@code gamma_ptx = 0} the policy loss is returned as is, so PPO without ptx is exactly
 * plain PPO, down to the gradient.
 */
public final class ActorLoss {

    public static final String PTX_LOSS = "loss/ptx";

    private ActorLoss() {
    }

    /**
     * The language-model loss: mean negative log-likelihood per masked token (token-level, as the
     * pretraining objective), differentiable.
     *
     * @param logits  [B, T, V] aligned with {@code targets} (see {@link SequenceLogprobs})
     * @param targets [B, T]
     * @param mask    tokens that count [B, T]
     */
    public static NDArray languageModelLoss(NDArray logits, NDArray targets, NDArray mask) {
        NDArray perToken = SequenceLogprobs.perToken(logits, targets, mask);
        return Masked.mean(perToken, mask).neg();
    }

    /**
     * @param policy   the output of {@link PolicyLoss}
     * @param ptxLoss  the language-model loss of a pretraining batch, or null when there is none
     * @param ptxCoef  gamma_ptx >= 0
     * @return loss = policy + gamma_ptx * ptx (the policy loss itself when gamma_ptx is 0 or there is
     *     no ptx batch); metrics: the policy's plus {@code loss/ptx} when a ptx batch was given
     */
    public static LossOutput combine(LossOutput policy, NDArray ptxLoss, double ptxCoef) {
        if (!(ptxCoef >= 0) || !Double.isFinite(ptxCoef)) {
            throw new IllegalArgumentException("ptx-coef must be >= 0, got " + ptxCoef);
        }
        Map<String, Double> metrics = new LinkedHashMap<>(policy.metrics());
        if (ptxLoss != null) {
            metrics.put(PTX_LOSS, Functions.scalar(ptxLoss));
        }
        if (ptxLoss == null || ptxCoef == 0) {
            return new LossOutput(policy.loss(), metrics);
        }
        return new LossOutput(policy.loss().add(Functions.scale(ptxLoss, ptxCoef)), metrics);
    }
}
