package dev.rlhf.feedback.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.annotator.CredentialsProperties;

/** The lockout arithmetic with short times: thresholds, doubling up to the cap, success, expiry. */
class LoginThrottleTest {

    final LoginThrottle throttle = new LoginThrottle(new CredentialsProperties(new CredentialsProperties.Passwords(12),
            new CredentialsProperties.Tokens(90, 365),
            new CredentialsProperties.Login(3, 5, Duration.ofMillis(300), Duration.ofMillis(1000))));

    @Test
    void theAccountIsLockedAtItsThresholdAndEachLockoutDoublesUpToTheCap() throws Exception {
        fail("alice", 2);
        assertThat(throttle.check("alice", "a1")).isEmpty();
        fail("alice", 1);
        assertThat(throttle.check("ALICE", "elsewhere")).as("usernames are case-sensitive: ALICE is another account").isEmpty();
        var locked = throttle.check("alice", "elsewhere").orElseThrow();
        assertThat(locked.getMessage()).startsWith("Too many failed logins for this account");
        assertThat(locked.retryAfter()).isLessThanOrEqualTo(Duration.ofMillis(300));
        // Attempts while locked are refused, not counted.
        throttle.failed("alice", "a1");
        Thread.sleep(350);
        assertThat(throttle.check("alice", "a1")).isEmpty();

        fail("alice", 3);
        assertThat(throttle.check("alice", "a1").orElseThrow().retryAfter()).isGreaterThan(Duration.ofMillis(300)); // 600 ms
        Thread.sleep(650);
        fail("alice", 3);
        assertThat(throttle.check("alice", "a1").orElseThrow().retryAfter()).isGreaterThan(Duration.ofMillis(600))
                .isLessThanOrEqualTo(Duration.ofMillis(1000)); // 1200 ms capped at 1000
    }

    @Test
    void aSuccessClearsTheAccountsCount() {
        fail("bob", 2);
        throttle.succeeded("bob");
        fail("bob", 2);
        assertThat(throttle.check("bob", "b1")).isEmpty();
    }

    @Test
    void anAddressIsLockedForEveryAccountAtItsThreshold() {
        for (int i = 0; i < 5; i++) {
            throttle.failed("user-" + i, "10.0.0.9");
        }
        assertThat(throttle.check("someone-else", "10.0.0.9").orElseThrow().getMessage())
                .startsWith("Too many failed logins from your address");
        assertThat(throttle.check("someone-else", "10.0.0.10")).isEmpty();
        // A success from that address does not clear the address's lock.
        throttle.succeeded("user-1");
        assertThat(throttle.check("user-1", "10.0.0.9")).isPresent();
    }

    @Test
    void theLoggedNameHasNoControlCharactersAndIsShort() {
        assertThat(LoginThrottle.loggable("eve\r\n2026-12-06 WARN forged line")).isEqualTo("eve??2026-12-06 WARN forged line");
        assertThat(LoginThrottle.loggable("p".repeat(100))).isEqualTo("p".repeat(64) + "...");
        assertThat(LoginThrottle.loggable("alice")).isEqualTo("alice");
    }

    private void fail(String user, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(user, user + "-address-" + i); // different addresses: only the account's count grows
        }
    }
}
