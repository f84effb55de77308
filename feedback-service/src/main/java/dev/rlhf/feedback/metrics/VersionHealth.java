package dev.rlhf.feedback.metrics;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the trainer reported about one policy version {@code v<number>}: its health metrics (phase
 * {@code health}, without the {@code health/} prefix: {@code kl_to_sft}, {@code distinct2},
 * {@code repeat_rate}, {@code length}, {@code score}, {@code promoted}, ...), the guardrail limits
 * it was held to, the guardrails it broke, and the held-out accuracy of the reward model of the
 * round that produced it ({@code eval_accuracy} of run {@code round-<number>}, phase {@code reward},
 * at its last step; null for v0, which no round produced).
 */
public record VersionHealth(int number, Map<String, Double> health, Map<String, Double> limits, List<String> brokenGuards,
                            Double evalAccuracy) {

    /** How the guardrails are named to people. */
    private static final Map<String, String> LABELS = Map.of("kl_to_sft", "KL to SFT", "distinct2", "distinct-2",
            "repeat_rate", "repeat rate", "length", "length");

    public String version() {
        return "v" + number;
    }

    /** Whether the trainer promoted it (health/promoted), or null when it has not said. */
    public Boolean promoted() {
        Double p = health.get("promoted");
        return p == null ? null : p >= 0.5;
    }

    /** Each broken guardrail with the value and the limit it crossed, e.g. "KL to SFT 3.1 > 2.0". */
    public List<String> rejectionReasons() {
        List<String> reasons = new ArrayList<>();
        for (String guard : brokenGuards) {
            String label = LABELS.getOrDefault(guard, guard);
            Double value = health.get(guard);
            Double limit = limits.get(guard);
            reasons.add(value == null || limit == null ? label
                    : label + " " + number(value) + (value > limit ? " > " : value < limit ? " < " : " = ") + number(limit));
        }
        return reasons;
    }

    /** "promoted", "rejected: KL to SFT 3.1 > 2.0", or null when unknown. */
    public String promotionText() {
        Boolean promoted = promoted();
        if (promoted == null) {
            return brokenGuards.isEmpty() ? null : "rejected: " + String.join("; ", rejectionReasons());
        }
        if (promoted) {
            return "promoted";
        }
        List<String> reasons = rejectionReasons();
        return reasons.isEmpty() ? "rejected" : "rejected: " + String.join("; ", reasons);
    }

    /** Three significant digits, at least one decimal: 3.1, 2.0, 0.412, 57.3, 0.00041. */
    public static String number(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        BigDecimal d = new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros();
        if (d.scale() < 1) {
            d = d.setScale(1);
        }
        return d.toPlainString();
    }
}
