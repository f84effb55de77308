package dev.rlhf.trainer.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GuardrailsTest {

    private static final PolicyHealth SFT = new PolicyHealth(64, 0, 0, -1.9, 0.4, 0.66, 0.02, 40, 0.3, null);

    private static PolicyHealth version(double kl, double distinct2, double repeat, double length) {
        return new PolicyHealth(64, kl, kl * length, -2.2, 0.3, distinct2, repeat, length, 0.2, 1.5);
    }

    @Test
    void limitsAreTheBudgetAndTheThresholdsScaledByV0() {
        Guardrails g = new Guardrails(0.5, 0.85, 0.05, 0.5);
        var limits = g.limits(SFT);
        assertThat(limits.get("kl_to_sft")).isEqualTo(0.5);
        assertThat(limits.get("distinct2")).isCloseTo(0.85 * 0.66, within(1e-12)); // 0.561
        assertThat(limits.get("repeat_rate")).isCloseTo(0.07, within(1e-12));
        assertThat(limits.get("length")).isCloseTo(20, within(1e-12));
    }

    @Test
    void aHealthyVersionBreaksNothing() {
        assertThat(Guardrails.defaults().broken(version(0.2, 0.56, 0.03, 38), SFT)).isEmpty();
    }

    @Test
    void eachBrokenGuardIsNamedWithItsReason() {
        var broken = Guardrails.defaults().broken(version(0.9, 0.32, 0.59, 12), SFT);
        assertThat(broken).containsOnlyKeys("kl_to_sft", "distinct2", "repeat_rate", "length");
        assertThat(broken.get("kl_to_sft")).isEqualTo("KL to SFT 0.900 nats/token > budget 0.250");
        assertThat(broken.get("distinct2")).isEqualTo("distinct-2 0.320 < 0.528 (0.80x v0's 0.660)");
        assertThat(broken.get("repeat_rate")).isEqualTo("repeated-word runs in 0.590 of samples > 0.070");
        assertThat(broken.get("length")).isEqualTo("mean length 12.0 tokens < 20.0 (0.50x v0's 40.0)");
    }

    @Test
    void aMeasureThatIsNotANumberBreaksItsGuard() {
        assertThat(Guardrails.defaults().broken(version(Double.NaN, 0.6, 0.0, 40), SFT)).containsOnlyKeys("kl_to_sft");
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new Guardrails(0, 0.85, 0.05, 0.5)).hasMessage("kl-budget must be > 0, got 0.0");
        assertThatThrownBy(() -> new Guardrails(0.5, 1.5, 0.05, 0.5)).hasMessage("min-distinct2 must be in [0, 1], got 1.5");
    }
}
