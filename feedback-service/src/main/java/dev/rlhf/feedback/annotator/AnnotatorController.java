package dev.rlhf.feedback.annotator;

import java.security.Principal;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.project.ProjectMemberService;

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
    public record AccountView(UUID id, String username, Set<Annotator.Role> roles) {
        static AccountView of(Annotator a) {
            return new AccountView(a.id(), a.username(), a.roles());
        }
    }

    @PostMapping("/annotators")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public AccountView create(@RequestBody NewAccount account) {
        return AccountView.of(members.createAccount(account.username(), account.password(), account.roles(), account.projects()));
    }

    public record NewToken(String name) {
    }

    public record TokenView(String name, String token) {
    }

    /** A bearer token for the caller's own account; the secret is shown only in this answer. */
    @PostMapping("/tokens")
    @ResponseStatus(HttpStatus.CREATED)
    public TokenView createToken(@RequestBody NewToken request, Principal caller) {
        String name = request.name() == null || request.name().isBlank() ? "api" : request.name().strip();
        return new TokenView(name, tokens.create(annotators.byUsername(caller.getName()).id(), name));
    }
}
