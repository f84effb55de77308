package dev.rlhf.feedback.consensus;

/**
 * A share as its two counts, so shares add up correctly across tasks (micro-average):
 * {@code agreed} of {@code total}. {@link #value()} is NaN when nothing was compared.
 */
public record Rate(long agreed, long total) {

    public static final Rate NONE = new Rate(0, 0);

    public Rate {
        if (agreed < 0 || total < agreed) {
            throw new IllegalArgumentException("need 0 <= agreed <= total, got " + agreed + " of " + total);
        }
    }

    public Rate plus(Rate other) {
        return new Rate(agreed + other.agreed, total + other.total);
    }

    public double value() {
        return total == 0 ? Double.NaN : (double) agreed / total;
    }

    /** The share, or null when nothing was compared (JSON null in the API). */
    public Double orNull() {
        return total == 0 ? null : value();
    }
}
