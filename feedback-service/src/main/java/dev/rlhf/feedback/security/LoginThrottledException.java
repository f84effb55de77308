package dev.rlhf.feedback.security;

import java.time.Duration;

import org.springframework.security.authentication.LockedException;

/** A login refused because its account or address failed too often ({@link LoginThrottle}). */
public class LoginThrottledException extends LockedException {

    private final transient Duration retryAfter;

    public LoginThrottledException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** Whole seconds for a {@code Retry-After} header (at least 1). */
    public long retryAfterSeconds() {
        return LoginThrottle.seconds(retryAfter);
    }
}
