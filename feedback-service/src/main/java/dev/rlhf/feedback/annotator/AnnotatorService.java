package dev.rlhf.feedback.annotator;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;

/** Accounts: creating them, and finding the one behind a login. */
@Service
public class AnnotatorService {

    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@-]{1,100}");
    public static final int MIN_PASSWORD_LENGTH = 8;

    private final AnnotatorRepository annotators;
    private final PasswordEncoder passwords;

    public AnnotatorService(AnnotatorRepository annotators, PasswordEncoder passwords) {
        this.annotators = annotators;
        this.passwords = passwords;
    }

    @Transactional
    public Annotator create(String username, String password, Set<Annotator.Role> roles) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw ApiException.badRequest("username must be 1 to 100 letters, digits or . _ @ -");
        }
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw ApiException.badRequest("password must have at least " + MIN_PASSWORD_LENGTH + " characters");
        }
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

    /** The caller's account: the one their login loaded, else looked up by name. */
    public Annotator of(java.security.Principal caller) {
        return AnnotatorPrincipal.accountOf(caller).orElseGet(() -> byUsername(caller.getName()));
    }

    public List<Annotator> all() {
        return annotators.findAll();
    }
}
