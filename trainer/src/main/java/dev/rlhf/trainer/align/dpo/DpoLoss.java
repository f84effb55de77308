package dev.rlhf.trainer.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The DPO family on sequence log-probabilities of chosen and rejected responses, with
 * {@code h = (log pi(y_w) - log ref(y_w)) - (log pi(y_l) - log ref(y_l))}:
 * <ul>
 *   <li>sigmoid (DPO): {@code -(1 - eps) log sigmoid(beta h) - eps log sigmoid(-beta h)}; eps = 0 is
 *       DPO, eps > 0 conservative DPO (TRL's label smoothing);</li>
 *   <li>IPO: {@code (h - 1 / (2 beta))^2}.</li>
 * </ul>
 * The loss is the batch mean. Metrics as TRL names them: {@code rewards/chosen} = mean beta
 * (log pi(y_w) - log ref(y_w)), {@code rewards/rejected} likewise, {@code rewards/accuracies} = share
 * of pairs whose chosen reward exceeds the rejected one, {@code rewards/margins} = mean difference,
 * {@code logps/chosen} and {@code logps/rejected} = mean policy log-probabilities.
 */
public final class DpoLoss {

    public static final String LOSS = "loss";
    public static final String REWARDS_CHOSEN = "rewards/chosen";
    public static final String REWARDS_REJECTED = "rewards/rejected";
    public static final String REWARDS_ACCURACIES = "rewards/accuracies";
    public static final String REWARDS_MARGINS = "rewards/margins";
    public static final String LOGPS_CHOSEN = "logps/chosen";
    public static final String LOGPS_REJECTED = "logps/rejected";

    private DpoLoss() {
    }

    /**
     * @param policyChosen     policy log-probabilities of the chosen responses [B] (differentiable)
     * @param policyRejected   policy log-probabilities of the rejected responses [B] (differentiable)
     * @param referenceChosen  reference log-probabilities [B] (constants), or null when reference-free
     * @param referenceRejected reference log-probabilities [B], or null when reference-free
     */
    public static LossOutput compute(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
                                     NDArray referenceRejected, DpoConfig config) {
        long batch = policyChosen.getShape().get(0);
        check(policyChosen, batch, "policy chosen");
        check(policyRejected, batch, "policy rejected");
        boolean referenceFree = config.referenceFree() || referenceChosen == null || referenceRejected == null;
        if (!config.referenceFree() && (referenceChosen == null || referenceRejected == null)) {
            throw new IllegalArgumentException("reference log-probabilities are required unless reference-free");
        }
        NDManager owner = policyChosen.getManager();
        NDArray chosenRatio = referenceFree ? policyChosen
                : policyChosen.sub(Functions.constant(check(referenceChosen, batch, "reference chosen"), owner));
        NDArray rejectedRatio = referenceFree ? policyRejected
                : policyRejected.sub(Functions.constant(check(referenceRejected, batch, "reference rejected"), owner));
        NDArray h = chosenRatio.sub(rejectedRatio);
        double beta = config.beta();
        NDArray perPair = switch (config.lossType()) {
            case SIGMOID -> {
                double eps = config.labelSmoothing();
                NDArray loss = Functions.scale(Functions.logSigmoid(Functions.scale(h, beta)), -(1 - eps));
                yield eps == 0 ? loss : loss.sub(Functions.scale(Functions.logSigmoid(Functions.scale(h, -beta)), eps));
            }
            case IPO -> h.sub(1 / (2 * beta)).square();
        };
        NDArray loss = perPair.mean();

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(LOSS, Functions.scalar(loss));
        try (NDManager scratch = owner.newSubManager()) {
            NDArray chosenReward = Functions.detached(chosenRatio, scratch).mul(beta);
            NDArray rejectedReward = Functions.detached(rejectedRatio, scratch).mul(beta);
            metrics.put(REWARDS_CHOSEN, Functions.scalar(chosenReward));
            metrics.put(REWARDS_REJECTED, Functions.scalar(rejectedReward));
            metrics.put(REWARDS_ACCURACIES, Functions.scalar(chosenReward.gt(rejectedReward).toType(DataType.FLOAT32, false)));
            metrics.put(REWARDS_MARGINS, Functions.scalar(chosenReward.sub(rejectedReward)));
            metrics.put(LOGPS_CHOSEN, Functions.scalar(Functions.detached(policyChosen, scratch)));
            metrics.put(LOGPS_REJECTED, Functions.scalar(Functions.detached(policyRejected, scratch)));
        }
        return new LossOutput(loss, metrics);
    }

    private static NDArray check(NDArray logps, long batch, String what) {
        if (logps.getShape().dimension() != 1 || logps.getShape().get(0) != batch) {
            throw new IllegalArgumentException(what + " log-probabilities must be [" + batch + "], got " + logps.getShape());
        }
        return logps;
    }
}
