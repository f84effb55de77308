package dev.rlhf.trainer.align.ppo;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The coefficient of the per-token KL penalty, as an immutable value: {@link #update} returns the
 * controller for the next step, so the record itself is the complete state to checkpoint (its
 * JSON form names the kind and round-trips doubles exactly, so resume is bit-exact).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = KlController.Fixed.class, name = "fixed"),
        @JsonSubTypes.Type(value = KlController.Adaptive.class, name = "adaptive")})
public sealed interface KlController {

    /** The current coefficient (TRL's {@code kl_coef} metric). */
    double value();

    /**
     * The controller after a PPO step that observed mean per-sequence KL {@code currentKl} over
     * {@code nSteps} samples (TRL passes the batch size).
     */
    KlController update(double currentKl, long nSteps);

    /** The controller a config asks for: adaptive when it has a KL target, else fixed. */
    static KlController of(PpoConfig config) {
        return config.klTarget() == null
                ? new Fixed(config.klCoef())
                : new Adaptive(config.klCoef(), config.klTarget(), config.klHorizon());
    }

    /** A constant coefficient (InstructGPT: beta = 0.02). */
    record Fixed(double value) implements KlController {

        public Fixed {
            if (!(value >= 0) || !Double.isFinite(value)) {
                throw new IllegalArgumentException("kl-coef must be >= 0, got " + value);
            }
        }

        @Override
        public KlController update(double currentKl, long nSteps) {
            return this;
        }
    }

    /**
     * Ziegler et al. 2019 (TRL's {@code AdaptiveKLController}): the proportional error
     * {@code clip(KL / target - 1, -0.2, 0.2)} moves the coefficient by the factor
     * {@code 1 + error * nSteps / horizon}, steering the observed KL towards the target.
     */
    record Adaptive(double value, double target, double horizon) implements KlController {

        /** Bound of the proportional error (Ziegler et al. 2019). */
        public static final double ERROR_CLIP = 0.2;

        public Adaptive {
            if (!(value >= 0) || !Double.isFinite(value)) {
                throw new IllegalArgumentException("kl-coef must be >= 0, got " + value);
            }
            if (!(target > 0) || !Double.isFinite(target)) {
                throw new IllegalArgumentException("kl-target must be > 0, got " + target);
            }
            if (!(horizon > 0) || !Double.isFinite(horizon)) {
                throw new IllegalArgumentException("kl-horizon must be > 0, got " + horizon);
            }
        }

        @Override
        public KlController update(double currentKl, long nSteps) {
            if (!Double.isFinite(currentKl)) {
                throw new IllegalArgumentException("observed KL is not finite: " + currentKl);
            }
            double error = Math.clamp(currentKl / target - 1, -ERROR_CLIP, ERROR_CLIP);
            double multiplier = 1 + error * nSteps / horizon;
            return new Adaptive(value * multiplier, target, horizon);
        }
    }
}
