package dev.rlhf.trainer.health;

import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * When a policy version is healthy enough to reach labelers: a KL budget to the SFT policy and
 * degeneration thresholds relative to the SFT policy's own health (v0), all on the held-out probe.
 * A version that breaks any of them is not promoted. Defaults keep the stories260K demo healthy
 * (measured in the README's demo section): in the demo's first runs, DPO versions past about
 * 0.2 nats per token from SFT had lost distinct-2 to 0.8x v0's while versions at 0.08-0.11 had already
 * raised the oracle word's rate by 0.27-0.52, so the KL budget sits just above that; the text
 * thresholds are stricter than the demo's acceptance bounds (distinct-2 >= 0.75x v0, at most 10% of
 * samples with repeated-word runs), so a version is stopped before it reaches them.
 *
 * @param klBudget         most KL to SFT per response token, nats (default 0.25)
 * @param minDistinct2     least distinct-2 as a share of v0's (default 0.8)
 * @param maxRepeatRate    most share of samples with a repeated-word run, added to v0's (default 0.05)
 * @param minLength        least mean length as a share of v0's (default 0.5: a policy that learned to stop at once)
 */
@RecordBuilder
public record Guardrails(double klBudget, double minDistinct2, double maxRepeatRate, double minLength) implements GuardrailsBuilder.With {

    public Guardrails {
        Checks.check(klBudget > 0, "kl-budget must be > 0, got " + klBudget);
        Checks.check(minDistinct2 >= 0 && minDistinct2 <= 1, "min-distinct2 must be in [0, 1], got " + minDistinct2);
        Checks.check(maxRepeatRate >= 0 && maxRepeatRate <= 1, "max-repeat-rate must be in [0, 1], got " + maxRepeatRate);
        Checks.check(minLength >= 0 && minLength <= 1, "min-length must be in [0, 1], got " + minLength);
    }

    public static Guardrails defaults() {
        return GuardrailsBuilder.builder().klBudget(0.25).minDistinct2(0.8).maxRepeatRate(0.05).minLength(0.5).build();
    }

    /** The limit each guard applies to a version, given v0's health: {@code limit/<name>} metrics. */
    public Map<String, Double> limits(PolicyHealth sft) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("kl_to_sft", klBudget);
        m.put("distinct2", minDistinct2 * sft.distinct2());
        m.put("repeat_rate", Math.min(1.0, sft.repeatRate() + maxRepeatRate));
        m.put("length", minLength * sft.length());
        return m;
    }

    /** The guards {@code candidate} breaks, with a one-line reason each; empty when it may be promoted. */
    public Map<String, String> broken(PolicyHealth candidate, PolicyHealth sft) {
        Map<String, Double> limit = limits(sft);
        Map<String, String> broken = new LinkedHashMap<>();
        if (!(candidate.klToSft() <= limit.get("kl_to_sft"))) {
            broken.put("kl_to_sft", String.format(java.util.Locale.ROOT, "KL to SFT %.3f nats/token > budget %.3f",
                    candidate.klToSft(), limit.get("kl_to_sft")));
        }
        if (!(candidate.distinct2() >= limit.get("distinct2"))) {
            broken.put("distinct2", String.format(java.util.Locale.ROOT, "distinct-2 %.3f < %.3f (%.2fx v0's %.3f)",
                    candidate.distinct2(), limit.get("distinct2"), minDistinct2, sft.distinct2()));
        }
        if (!(candidate.repeatRate() <= limit.get("repeat_rate"))) {
            broken.put("repeat_rate", String.format(java.util.Locale.ROOT, "repeated-word runs in %.3f of samples > %.3f",
                    candidate.repeatRate(), limit.get("repeat_rate")));
        }
        if (!(candidate.length() >= limit.get("length"))) {
            broken.put("length", String.format(java.util.Locale.ROOT, "mean length %.1f tokens < %.1f (%.2fx v0's %.1f)",
                    candidate.length(), limit.get("length"), minLength, sft.length()));
        }
        return broken;
    }
}
