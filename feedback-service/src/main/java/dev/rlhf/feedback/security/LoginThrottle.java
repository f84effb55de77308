package dev.rlhf.feedback.security;

import java.time.Duration;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.rlhf.feedback.annotator.CredentialsProperties;

/**
 * Throttles password guessing. Failed logins are counted per account name and per remote address;
 * at {@code max-failures-per-account} (5) failures the account, at {@code max-failures-per-address}
 * (20) the address, is locked for {@code lockout} (1 min), doubling with each further lockout up to
 * {@code max-lockout} (15 min). While locked every login of it is refused without checking the
 * password, the right one too. A successful login clears its account's count (not its address's).
 * Counts are forgotten {@code max-lockout} after the last failure. Each lockout logs one WARN line.
 * In memory, per instance; bounded to 100,000 accounts and addresses each.
 */
@Component
public class LoginThrottle {

    private static final Logger log = LoggerFactory.getLogger(LoginThrottle.class);

    private final CredentialsProperties.Login settings;
    private final Cache<String, Failures> accounts;
    private final Cache<String, Failures> addresses;

    /** One key's failures since its last lockout (or success) and how often it was locked in a row. */
    private static final class Failures {
        int count;
        int lockouts;
        long lockedUntilNanos;
    }

    public LoginThrottle(CredentialsProperties properties) {
        this.settings = properties.login();
        this.accounts = Caffeine.newBuilder().expireAfterAccess(settings.maxLockout()).maximumSize(100_000).build();
        this.addresses = Caffeine.newBuilder().expireAfterAccess(settings.maxLockout()).maximumSize(100_000).build();
    }

    /** Why a login of this account from this address is refused now, and for how long; empty when it may try. */
    public Optional<LoginThrottledException> check(String username, String address) {
        long now = System.nanoTime();
        Optional<Duration> account = lockedFor(accounts.getIfPresent(key(username)), now);
        if (account.isPresent()) {
            return Optional.of(new LoginThrottledException("Too many failed logins for this account; try again in "
                    + seconds(account.get()) + " s", account.get()));
        }
        Optional<Duration> from = address == null ? Optional.empty() : lockedFor(addresses.getIfPresent(address), now);
        return from.map(d -> new LoginThrottledException("Too many failed logins from your address; try again in "
                + seconds(d) + " s", d));
    }

    public void failed(String username, String address) {
        long now = System.nanoTime();
        count(accounts, key(username), settings.maxFailuresPerAccount(), now, "account '" + loggable(username) + "'", address);
        if (address != null) {
            count(addresses, address, settings.maxFailuresPerAddress(), now, "address " + loggable(address), address);
        }
    }

    public void succeeded(String username) {
        accounts.invalidate(key(username));
    }

    private void count(Cache<String, Failures> cache, String key, int max, long now, String what, String address) {
        Failures f = cache.get(key, k -> new Failures());
        Duration locked;
        synchronized (f) {
            if (f.lockedUntilNanos - now > 0) {
                return; // refused while locked; not a new failure
            }
            f.count++;
            if (f.count < max) {
                return;
            }
            f.count = 0;
            f.lockouts++;
            long factor = 1L << Math.min(f.lockouts - 1, 20);
            Duration wanted = settings.lockout().multipliedBy(factor);
            locked = wanted.compareTo(settings.maxLockout()) > 0 ? settings.maxLockout() : wanted;
            f.lockedUntilNanos = now + locked.toNanos();
        }
        cache.put(key, f);
        log.warn("Login throttled: {} locked for {} s after {} failed logins (last from {})", what, seconds(locked), max,
                loggable(address));
    }

    private static Optional<Duration> lockedFor(Failures f, long now) {
        if (f == null) {
            return Optional.empty();
        }
        synchronized (f) {
            long left = f.lockedUntilNanos - now;
            return left > 0 ? Optional.of(Duration.ofNanos(left)) : Optional.empty();
        }
    }

    /**
     * The exact username: usernames are case-sensitive, so {@code Alice} is another account than
     * {@code alice} and failures of one must not lock the other.
     */
    private static String key(String username) {
        return username == null ? "" : username;
    }

    /** The longest text of a typed name (or address) a log line shows. */
    static final int MAX_LOGGED_CHARS = 64;

    /**
     * A typed username or address as a log line may show it: control characters (CR and LF could
     * forge lines) as {@code ?}, at most {@link #MAX_LOGGED_CHARS} characters (it may be a mistyped password).
     */
    static String loggable(String typed) {
        if (typed == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        typed.codePoints().limit(MAX_LOGGED_CHARS).forEach(c -> {
            int type = Character.getType(c);
            out.appendCodePoint(Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR ? '?' : c);
        });
        return typed.codePointCount(0, typed.length()) > MAX_LOGGED_CHARS ? out + "..." : out.toString();
    }

    static long seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }
}
