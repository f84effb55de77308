package dev.rlhf.feedback.annotator;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Passwords, API tokens and login throttling (prefix {@code rlhf.security}).
 *
 * @param passwords the password policy
 * @param tokens    API token lifetimes
 * @param login     throttling of failed logins (HTTP Basic, the login form)
 */
@ConfigurationProperties("rlhf.security")
public record CredentialsProperties(@DefaultValue Passwords passwords, @DefaultValue Tokens tokens, @DefaultValue Login login) {

    /**
     * @param minLength the shortest password, in characters (default 12: NIST SP 800-63B-4 asks at least 15
     *                  for a password used alone and allows 8 with a second factor; 12 is the common middle)
     */
    public record Passwords(@DefaultValue("12") int minLength) {
    }

    /**
     * @param defaultExpiryDays a new token's lifetime when the request names none (default 90)
     * @param maxExpiryDays     the longest lifetime a request may ask for (default 365)
     */
    public record Tokens(@DefaultValue("90") int defaultExpiryDays, @DefaultValue("365") int maxExpiryDays) {
    }

    /**
     * @param maxFailuresPerAccount failed logins of one account (from anywhere) before it is locked (default 5)
     * @param maxFailuresPerAddress failed logins from one remote address (any accounts) before it is locked (default 20)
     * @param lockout               the first lockout; each further one doubles it (default 1 minute)
     * @param maxLockout            the longest lockout; failures older than this are forgotten (default 15 minutes)
     */
    public record Login(@DefaultValue("5") int maxFailuresPerAccount, @DefaultValue("20") int maxFailuresPerAddress,
                        @DefaultValue("1m") Duration lockout, @DefaultValue("15m") Duration maxLockout) {
    }

    /** The defaults, for code outside Spring. */
    public static CredentialsProperties defaults() {
        return new CredentialsProperties(new Passwords(12), new Tokens(90, 365),
                new Login(5, 20, Duration.ofMinutes(1), Duration.ofMinutes(15)));
    }
}
