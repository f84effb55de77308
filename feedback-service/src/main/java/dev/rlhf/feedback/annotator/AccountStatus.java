package dev.rlhf.feedback.annotator;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import org.springframework.stereotype.Component;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Whether a logged-in session still speaks for its account: the account is enabled and its
 * credentials version is the one the session logged in with. Checked on every UI request; answers
 * from memory for up to {@link #TTL} (a change in this process clears it when it commits; one made by
 * another instance sharing the database is seen within that time).
 */
@Component
public class AccountStatus {

    static final Duration TTL = Duration.ofSeconds(2);

    private final AnnotatorRepository annotators;
    private final Cache<UUID, Optional<Integer>> versions = Caffeine.newBuilder()
            .expireAfterWrite(TTL).maximumSize(10_000).build();

    public AccountStatus(AnnotatorRepository annotators) {
        this.annotators = annotators;
    }

    /** True when the account is enabled and its credentials are still those of {@code credentialsVersion}. */
    public boolean isCurrent(UUID accountId, int credentialsVersion) {
        Optional<Integer> current = versions.get(accountId, annotators::activeCredentialsVersion);
        return current.isPresent() && current.get() == credentialsVersion;
    }

    /**
     * Forgets what is remembered of the account, after its password or status changed: once the
     * change commits (at once outside a transaction), so no request can re-cache the old row from the
     * database meanwhile. A load of the account already under way when the commit lands cannot put
     * the old row back afterwards: Caffeine's {@code invalidate} waits for an in-flight load of the
     * same key and removes what it loaded.
     */
    public void changed(UUID accountId) {
        AfterCommit.run(() -> versions.invalidate(accountId));
    }
}
