package dev.rlhf.feedback.annotator;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.security.LoginThrottle;

/**
 * Accounts: creating them, finding the one behind a login, changing passwords and disabling them.
 * A password change or a disable ends the account's sessions (their credentials version no longer
 * matches, {@link AccountStatus}) and revokes its API tokens.
 */
@Service
public class AnnotatorService {

    private static final Logger log = LoggerFactory.getLogger(AnnotatorService.class);
    /** The width of {@code annotators.username}. */
    public static final int MAX_USERNAME_CHARS = 100;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@-]{1,100}");
    /** The default minimum password length; {@link #minPasswordLength()} is the one in force. */
    public static final int MIN_PASSWORD_LENGTH = 12;

    private final AnnotatorRepository annotators;
    private final PasswordEncoder passwords;
    private final PasswordPolicy policy;
    private final ApiTokenService tokens;
    private final AccountStatus status;
    private final LoginThrottle throttle;

    public AnnotatorService(AnnotatorRepository annotators, PasswordEncoder passwords, PasswordPolicy policy,
                            ApiTokenService tokens, AccountStatus status, LoginThrottle throttle) {
        this.throttle = throttle;
        this.annotators = annotators;
        this.passwords = passwords;
        this.policy = policy;
        this.tokens = tokens;
        this.status = status;
    }

    public int minPasswordLength() {
        return policy.minLength();
    }

    @Transactional
    public Annotator create(String username, String password, Set<Annotator.Role> roles) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw ApiException.badRequest("username must be 1 to 100 letters, digits or . _ @ -");
        }
        checkPassword(username, password);
        if (annotators.findByUsername(username).isPresent()) {
            throw ApiException.conflict("An account named '" + username + "' already exists");
        }
        Inputs.noNullElements("roles", roles);
        Set<Annotator.Role> chosen = roles == null || roles.isEmpty() ? EnumSet.of(Annotator.Role.ANNOTATOR) : EnumSet.copyOf(roles);
        Annotator a = new Annotator(UUID.randomUUID(), username, passwords.encode(password), chosen, Instant.now());
        annotators.insert(a);
        return a;
    }

    /** The account of a logged-in user (a login always names an existing account). */
    public Annotator byUsername(String username) {
        return annotators.findByUsername(username).orElseThrow(() -> ApiException.forbidden("No account " + username));
    }

    /** Any account, for an admin: 404 when there is none. */
    public Annotator byId(UUID id) {
        return annotators.findById(id).orElseThrow(() -> ApiException.notFound("No account " + id));
    }

    /** An account named by id or by username (API paths accept either). */
    public Annotator byIdOrUsername(String idOrName) {
        try {
            return byId(UUID.fromString(idOrName));
        } catch (IllegalArgumentException notAnId) {
            return annotators.findByUsername(idOrName).orElseThrow(() -> ApiException.notFound("No account " + idOrName));
        }
    }

    /** The caller's account: the one their login loaded, else looked up by name. */
    public Annotator of(java.security.Principal caller) {
        return AnnotatorPrincipal.accountOf(caller).orElseGet(() -> byUsername(caller.getName()));
    }

    public List<Annotator> all() {
        return annotators.findAll();
    }

    /**
     * The account's own password change: the current password must be right. Ends all its sessions
     * and revokes its API tokens.
     */
    @Transactional
    public void changeOwnPassword(UUID accountId, String currentPassword, String newPassword) {
        changeOwnPassword(accountId, currentPassword, newPassword, null);
    }

    /**
     * As {@link #changeOwnPassword(UUID, String, String)}; the current-password check is throttled as
     * logins are ({@link LoginThrottle}, keyed by the account and {@code address}): while locked, 429.
     */
    @Transactional
    public void changeOwnPassword(UUID accountId, String currentPassword, String newPassword, String address) {
        Annotator me = byId(accountId);
        var refused = throttle.check(me.username(), address);
        if (refused.isPresent()) {
            throw new ApiException(org.springframework.http.HttpStatus.TOO_MANY_REQUESTS, refused.get().getMessage());
        }
        if (currentPassword == null || !passwords.matches(currentPassword, me.passwordHash())) {
            throttle.failed(me.username(), address);
            throw ApiException.badRequest("currentPassword is not your current password");
        }
        throttle.succeeded(me.username());
        if (newPassword != null && newPassword.equals(currentPassword)) {
            throw ApiException.badRequest("newPassword is the same as the current password");
        }
        replacePassword(me, newPassword, me.username());
    }

    /** An admin sets another account's password (no current password needed). Ends its sessions, revokes its tokens. */
    @Transactional
    public void setPassword(UUID accountId, String newPassword, String byAdmin) {
        replacePassword(byId(accountId), newPassword, byAdmin);
    }

    private void replacePassword(Annotator account, String newPassword, String by) {
        checkPassword(account.username(), newPassword);
        annotators.updatePassword(account.id(), passwords.encode(newPassword));
        int revoked = tokens.revokeAll(account.id());
        status.changed(account.id());
        log.info("Password of account '{}' changed by '{}': its sessions end and {} API token(s) were revoked",
                account.username(), by, revoked);
    }

    /**
     * Disables or enables an account. A disabled account cannot log in, its sessions end, its API
     * tokens are revoked and its open task leases end (the tasks go back to the pool at once).
     * Nobody can disable their own account, and at least one enabled admin always remains.
     */
    @Transactional
    public Annotator setDisabled(UUID accountId, boolean disabled, Annotator byAdmin) {
        return change(accountId, disabled, null, byAdmin);
    }

    /**
     * An admin's change of an account, all or nothing: {@code disabled} (null: unchanged) and/or a new
     * password (null: unchanged). Everything is checked before anything is changed: the password
     * policy, that nobody disables their own account, and that at least one enabled admin remains
     * (under the admin rows' locks, so two admins disabling each other at once cannot both succeed).
     */
    @Transactional
    public Annotator change(UUID accountId, Boolean disabled, String newPassword, Annotator byAdmin) {
        Annotator account = byId(accountId);
        boolean disabling = Boolean.TRUE.equals(disabled) && account.enabled();
        if (Boolean.TRUE.equals(disabled) && account.id().equals(byAdmin.id())) {
            throw ApiException.conflict("You cannot disable your own account");
        }
        if (newPassword != null) {
            checkPassword(account.username(), newPassword);
        }
        if (disabling && account.isAdmin()) {
            List<Annotator> admins = annotators.lockAdmins();
            boolean anotherRemains = admins.stream().anyMatch(a -> a.enabled() && !a.id().equals(account.id()));
            if (!anotherRemains) {
                throw ApiException.conflict("At least one enabled admin must remain");
            }
        }
        if (newPassword != null) {
            replacePassword(account, newPassword, byAdmin.username());
        }
        if (disabled != null && disabled == account.enabled()) {
            Instant now = Instant.now();
            annotators.setDisabled(account.id(), disabled ? now : null);
            int revoked = disabled ? tokens.revokeAll(account.id()) : 0;
            int leases = disabled ? annotators.endOpenLeases(account.id(), now) : 0;
            status.changed(account.id());
            if (disabled) {
                log.info("Account '{}' disabled by '{}': its sessions end, {} API token(s) were revoked and {} open lease(s) ended",
                        account.username(), byAdmin.username(), revoked, leases);
            } else {
                log.info("Account '{}' enabled again by '{}'", account.username(), byAdmin.username());
            }
        }
        return byId(accountId);
    }

    /** Throws a 400 naming what is wrong when the password does not meet the policy. */
    public void checkPassword(String username, String password) {
        policy.problem(username, password).ifPresent(problem -> {
            throw ApiException.badRequest(problem);
        });
    }
}
