package dev.rlhf.feedback.annotator;

import java.security.Principal;
import java.util.Optional;

import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;

/**
 * A logged-in account as Spring Security's user, carrying the {@link Annotator} row it was loaded
 * from, so request handlers need not look the account up again by name.
 */
public final class AnnotatorPrincipal extends User {

    private final transient Annotator account;
    private final java.util.UUID accountId;
    private final int credentialsVersion;

    private AnnotatorPrincipal(Annotator account) {
        super(account.username(), account.passwordHash(), account.enabled(), true, true, true,
                account.roles().stream().map(role -> new SimpleGrantedAuthority("ROLE_" + role.name()))
                        .toList());
        this.account = account;
        this.accountId = account.id();
        this.credentialsVersion = account.credentialsVersion();
    }

    public static AnnotatorPrincipal of(Annotator account) {
        return new AnnotatorPrincipal(account);
    }

    public Annotator account() {
        return account;
    }

    public java.util.UUID accountId() {
        return accountId;
    }

    /** The account's credentials version when this login happened (kept in a serialized session too). */
    public int credentialsVersion() {
        return credentialsVersion;
    }

    /**
     * The account behind an authenticated caller, when its login loaded one (HTTP Basic, API token);
     * empty otherwise, and for a principal restored from a serialized session (the account is transient).
     */
    public static Optional<Annotator> accountOf(Principal caller) {
        if (caller instanceof Authentication auth && auth.getPrincipal() instanceof AnnotatorPrincipal principal) {
            return Optional.ofNullable(principal.account());
        }
        return Optional.empty();
    }
}
