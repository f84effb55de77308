package dev.rlhf.feedback.annotator;

import java.security.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.project.ProjectMemberService;

/**
 * Accounts and API tokens: admins create, list, disable and re-enable accounts and set their
 * passwords; everyone changes their own password and lists, creates and revokes their own tokens;
 * admins list and revoke anyone's.
 */
@RestController
@RequestMapping("/api/v1")
public class AnnotatorController {

    private final AnnotatorService annotators;
    private final ApiTokenService tokens;
    private final ProjectMemberService members;

    public AnnotatorController(AnnotatorService annotators, ApiTokenService tokens, ProjectMemberService members) {
        this.annotators = annotators;
        this.tokens = tokens;
        this.members = members;
    }

    /** {@code projects}: optional ids of the projects the new account becomes a member of. */
    public record NewAccount(String username, String password, Set<Annotator.Role> roles, List<UUID> projects) {
    }

    /** The account as the API shows it: never the password hash. */
    public record AccountView(UUID id, String username, Set<Annotator.Role> roles, boolean disabled, Instant disabledAt,
                              Instant createdAt) {
        static AccountView of(Annotator a) {
            return new AccountView(a.id(), a.username(), a.roles(), !a.enabled(), a.disabledAt(), a.createdAt());
        }
    }

    @PostMapping("/annotators")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public AccountView create(@RequestBody NewAccount account) {
        return AccountView.of(members.createAccount(account.username(), account.password(), account.roles(), account.projects()));
    }

    @GetMapping("/annotators")
    @PreAuthorize("hasRole('ADMIN')")
    public List<AccountView> accounts() {
        return annotators.all().stream().map(AccountView::of).toList();
    }

    /** An admin's change of an account: {@code disabled} true/false, and/or a new {@code password}. */
    public record AccountChange(Boolean disabled, String password) {
    }

    @PatchMapping("/annotators/{account}")
    @PreAuthorize("hasRole('ADMIN')")
    public AccountView change(@PathVariable String account, @RequestBody AccountChange change, Principal caller) {
        if (change == null || (change.disabled() == null && change.password() == null)) {
            throw ApiException.badRequest("Name what to change: \"disabled\" (true or false) and/or \"password\"");
        }
        Annotator admin = annotators.of(caller);
        Annotator target = annotators.byIdOrUsername(Inputs.text("account", account, AnnotatorService.MAX_USERNAME_CHARS));
        return AccountView.of(annotators.change(target.id(), change.disabled(), change.password(), admin));
    }

    public record PasswordChange(String currentPassword, String newPassword) {
    }

    /** The caller's own password; the current one is required (a leaked API token is not enough). */
    @PostMapping("/annotators/me/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void changeOwnPassword(@RequestBody PasswordChange change, Principal caller,
                                  jakarta.servlet.http.HttpServletRequest request) {
        annotators.changeOwnPassword(annotators.of(caller).id(), change.currentPassword(), change.newPassword(),
                request.getRemoteAddr());
    }

    /**
     * @param expiresInDays the token's lifetime (default {@code rlhf.security.tokens.default-expiry-days}, 90)
     */
    public record NewToken(String name, Integer expiresInDays) {
    }

    public record TokenView(UUID id, String name, String token, Instant expiresAt) {
    }

    /** A bearer token for the caller's own account; the secret is shown only in this answer. */
    @PostMapping("/tokens")
    @ResponseStatus(HttpStatus.CREATED)
    public TokenView createToken(@RequestBody NewToken request, Principal caller) {
        // A token must not mint tokens: else a leaked one could renew itself forever, and expiry would bound nothing.
        if (dev.rlhf.feedback.security.ApiTokenAuthenticationFilter.viaApiToken(caller)) {
            throw ApiException.forbidden("create tokens with your password (HTTP Basic) or in the app");
        }
        var issued = tokens.issue(annotators.of(caller).id(), request.name(), request.expiresInDays());
        return new TokenView(issued.id(), issued.name(), issued.token(), issued.expiresAt());
    }

    /** A token as listed: never the secret. */
    public record TokenInfo(UUID id, String name, String annotator, UUID annotatorId, Instant createdAt, Instant expiresAt,
                            Instant revokedAt, String status) {
        static TokenInfo of(ApiTokenService.ApiToken t) {
            return new TokenInfo(t.id(), t.name(), t.username(), t.annotatorId(), t.createdAt(), t.expiresAt(), t.revokedAt(),
                    t.status());
        }
    }

    /**
     * The caller's own tokens. Admins may ask for one account's ({@code ?annotator=<id or username>})
     * or every account's ({@code ?all=true}).
     */
    @GetMapping("/tokens")
    public List<TokenInfo> listTokens(@RequestParam(required = false) String annotator,
                                      @RequestParam(defaultValue = "false") boolean all, Principal caller) {
        Annotator me = annotators.of(caller);
        if (all || annotator != null) {
            if (!me.isAdmin()) {
                throw ApiException.forbidden("Only admins may list other accounts' tokens (without ?annotator or ?all you get your own)");
            }
            var listed = all ? tokens.listAll()
                    : tokens.list(annotators.byIdOrUsername(Inputs.text("annotator", annotator, AnnotatorService.MAX_USERNAME_CHARS)).id());
            return listed.stream().map(TokenInfo::of).toList();
        }
        return tokens.list(me.id()).stream().map(TokenInfo::of).toList();
    }

    /** Revokes one of the caller's tokens, or (admins) anyone's. 204 also when it was already revoked. */
    @DeleteMapping("/tokens/{tokenId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void revokeToken(@PathVariable UUID tokenId, Principal caller) {
        Annotator me = annotators.of(caller);
        var token = tokens.find(tokenId).filter(t -> me.isAdmin() || t.annotatorId().equals(me.id()))
                .orElseThrow(() -> ApiException.notFound("No API token " + tokenId + (me.isAdmin() ? "" : " of yours")));
        tokens.revoke(token.id());
    }
}
