package dev.rlhf.trainer.align.kto;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.rlhf.trainer.align.loss.Functions;
import dev.rlhf.trainer.align.loss.LossOutput;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The KTO loss (Ethayarajh et al. 2024, eq. 7; TRL {@code KTOTrainer}, {@code loss_type="kto"}) on sequence
 * log-probabilities of unpaired completions, each labelled desirable or undesirable. With the log-ratio
 * {@code r = log pi(y|x) - log ref(y|x)} and the reference point {@code z0} (an estimate of KL(pi || ref),
 * see {@link #referencePoint}, a constant):
 * <ul>
 *   <li>desirable: {@code w_D * (1 - sigmoid(beta (r - z0)))};</li>
 *   <li>undesirable: {@code w_U * (1 - sigmoid(beta (z0 - r)))}.</li>
 * </ul>
 * The loss is the mean over all examples of the batch (TRL's {@code losses.nanmean()} of the weighted losses).
 *
 * <p>Metrics as TRL logs them: {@code loss}, {@code kl} (z0), {@code rewards/chosen} and {@code rewards/rejected}
 * (mean beta r over the desirable, resp. undesirable examples), {@code rewards/margins} (their difference),
 * {@code logps/chosen} and {@code logps/rejected} (mean policy log-probabilities), each only when the batch has
 * examples of that kind (TRL logs none then), and {@code count/chosen}, {@code count/rejected} (TRL's older name
 * for the numbers of examples it averaged over).
 */
public final class KtoLoss {

    public static final String LOSS = "loss";
    public static final String KL = "kl";
    public static final String REWARDS_CHOSEN = "rewards/chosen";
    public static final String REWARDS_REJECTED = "rewards/rejected";
    public static final String REWARDS_MARGINS = "rewards/margins";
    public static final String LOGPS_CHOSEN = "logps/chosen";
    public static final String LOGPS_REJECTED = "logps/rejected";
    public static final String COUNT_CHOSEN = "count/chosen";
    public static final String COUNT_REJECTED = "count/rejected";

    private KtoLoss() {
    }

    /**
     * The reference point z0 of a batch: the mean log-ratio {@code log pi(y'|x) - log ref(y'|x)} of mismatched
     * pairs (each prompt with another example's completion), clamped at 0 and detached, as TRL's
     * {@code kl = (KL_logps - ref_KL_logps).mean().detach().clamp(min=0)}.
     *
     * @param policyMismatched    policy log-probabilities of the mismatched pairs [M]
     * @param referenceMismatched reference log-probabilities of the same pairs [M]
     */
    public static double referencePoint(NDArray policyMismatched, NDArray referenceMismatched) {
        try (NDManager scratch = policyMismatched.getManager().newSubManager()) {
            NDArray policy = Functions.detached(policyMismatched, scratch).toType(DataType.FLOAT64, false);
            NDArray reference = Functions.detached(referenceMismatched, scratch).toType(DataType.FLOAT64, false);
            if (!policy.getShape().equals(reference.getShape()) || policy.getShape().dimension() != 1 || policy.size() == 0) {
                throw new IllegalArgumentException("mismatched log-probabilities must be two equal non-empty [M] arrays, got "
                        + policy.getShape() + " and " + reference.getShape());
            }
            return Math.max(0.0, policy.sub(reference).mean().getDouble());
        }
    }

    /**
     * @param policyLogps    policy log-probabilities of the completions [B] (differentiable)
     * @param referenceLogps reference log-probabilities [B] (constants)
     * @param desirable      each example's label: true = desirable (thumbs up)
     * @param z0             the reference point ({@link #referencePoint}), >= 0
     */
    public static LossOutput compute(NDArray policyLogps, NDArray referenceLogps, boolean[] desirable, double z0, KtoConfig config) {
        long batch = policyLogps.getShape().get(0);
        if (policyLogps.getShape().dimension() != 1 || !referenceLogps.getShape().equals(policyLogps.getShape())
                || desirable.length != batch) {
            throw new IllegalArgumentException("log-probabilities must be [" + desirable.length + "], got "
                    + policyLogps.getShape() + " and " + referenceLogps.getShape());
        }
        if (!(z0 >= 0) || !Double.isFinite(z0)) {
            throw new IllegalArgumentException("the reference point must be finite and >= 0, got " + z0);
        }
        NDManager owner = policyLogps.getManager();
        DataType type = policyLogps.getDataType();
        NDArray logRatio = policyLogps.sub(Functions.constant(referenceLogps, owner).toType(type, false));
        // Per example: sign s = +1 (desirable) or -1 (undesirable), weight w; loss w * (1 - sigmoid(beta s (r - z0)))
        // = w * sigmoid(-beta s (r - z0)).
        float[] sign = new float[desirable.length];
        float[] weight = new float[desirable.length];
        int chosen = 0;
        for (int i = 0; i < desirable.length; i++) {
            sign[i] = desirable[i] ? 1f : -1f;
            weight[i] = (float) (desirable[i] ? config.desirableWeight() : config.undesirableWeight());
            chosen += desirable[i] ? 1 : 0;
        }
        int rejected = desirable.length - chosen;
        NDArray centred = logRatio.sub(owner.create((float) z0).toType(type, false));
        NDArray signed = centred.mul(owner.create(sign).toType(type, false));
        NDArray perExample = Activation.sigmoid(Functions.scale(signed, -config.beta())).mul(owner.create(weight).toType(type, false));
        NDArray loss = perExample.mean();

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(LOSS, Functions.scalar(loss));
        metrics.put(KL, z0);
        float[] ratios;
        float[] logps;
        try (NDManager scratch = owner.newSubManager()) {
            ratios = Functions.detached(logRatio, scratch).toType(DataType.FLOAT32, false).toFloatArray();
            logps = Functions.detached(policyLogps, scratch).toType(DataType.FLOAT32, false).toFloatArray();
        }
        double rewardChosen = 0;
        double rewardRejected = 0;
        double logpChosen = 0;
        double logpRejected = 0;
        for (int i = 0; i < desirable.length; i++) {
            if (desirable[i]) {
                rewardChosen += config.beta() * ratios[i];
                logpChosen += logps[i];
            } else {
                rewardRejected += config.beta() * ratios[i];
                logpRejected += logps[i];
            }
        }
        if (chosen > 0) {
            metrics.put(REWARDS_CHOSEN, rewardChosen / chosen);
            metrics.put(LOGPS_CHOSEN, logpChosen / chosen);
        }
        if (rejected > 0) {
            metrics.put(REWARDS_REJECTED, rewardRejected / rejected);
            metrics.put(LOGPS_REJECTED, logpRejected / rejected);
        }
        if (chosen > 0 && rejected > 0) {
            metrics.put(REWARDS_MARGINS, rewardChosen / chosen - rewardRejected / rejected);
        }
        metrics.put(COUNT_CHOSEN, (double) chosen);
        metrics.put(COUNT_REJECTED, (double) rejected);
        return new LossOutput(loss, metrics);
    }
}
