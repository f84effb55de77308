package dev.rlhf.trainer.health;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How far a policy version has drifted from the SFT policy and whether its text is still language,
 * measured on samples it draws (temperature 1, no filtering) for a fixed set of held-out prompts.
 *
 * @param samples    completions measured
 * @param klToSft    KL(policy || SFT) per response token, nats: the k1 estimator (Schulman 2020),
 *                   sum over samples of log pi(y) - log pi_sft(y) divided by their tokens; unbiased on
 *                   samples of the policy, 0 for the SFT policy itself
 * @param klToSftSeq the same per completion (nats per sequence, as TRL's {@code objective/kl})
 * @param sftLogprob mean log-likelihood per token of the samples under the SFT policy
 * @param distinct1  distinct unigrams / unigrams over all samples ({@link TextHealth#distinct})
 * @param distinct2  distinct bigrams / bigrams
 * @param repeatRate share of samples with a repeated-word run ({@link TextHealth#repeatRate})
 * @param length     mean response tokens (EOS included when generated)
 * @param eosRate    share of samples that ended with an end-of-sequence token within the budget
 * @param score      the reward model's mean score of the samples, or null without a reward model
 */
@RecordBuilder
public record PolicyHealth(
        int samples,
        double klToSft,
        double klToSftSeq,
        double sftLogprob,
        double distinct1,
        double distinct2,
        double repeatRate,
        double length,
        double eosRate,
        Double score) implements PolicyHealthBuilder.With {

    public static final String PHASE = "health";

    /** The {@code health/...} metrics of {@code ../shared/CONTRACTS.md} (without {@code health/promoted}). */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("health/kl_to_sft", klToSft);
        m.put("health/kl_to_sft_seq", klToSftSeq);
        m.put("health/sft_logprob", sftLogprob);
        m.put("health/distinct1", distinct1);
        m.put("health/distinct2", distinct2);
        m.put("health/repeat_rate", repeatRate);
        m.put("health/length", length);
        m.put("health/eos_rate", eosRate);
        if (score != null) {
            m.put("health/score", score);
        }
        m.put("health/samples", (double) samples);
        return m;
    }
}
