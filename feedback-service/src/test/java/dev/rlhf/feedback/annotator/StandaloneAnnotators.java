package dev.rlhf.feedback.annotator;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;

import dev.rlhf.feedback.security.LoginThrottle;

/** An {@link AnnotatorService} wired by hand with the default settings, for tests on H2 that run without Spring. */
public final class StandaloneAnnotators {
    private StandaloneAnnotators() {
    }

    public static AnnotatorService service(JdbcClient jdbc, PasswordEncoder passwords) {
        AnnotatorRepository repository = new AnnotatorRepository(jdbc);
        CredentialsProperties defaults = CredentialsProperties.defaults();
        return new AnnotatorService(repository, passwords, new PasswordPolicy(defaults), new ApiTokenService(jdbc, repository, defaults),
                new AccountStatus(repository), new LoginThrottle(defaults));
    }
}
