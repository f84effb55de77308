package dev.rlhf.feedback.annotator;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.EnumSet;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * On first start, creates the admin account {@code RLHF_ADMIN_USERNAME} (default {@code admin})
 * with {@code RLHF_ADMIN_PASSWORD}, or with a random password printed once. A password that does
 * not meet the {@link PasswordPolicy} stops the start with one line saying why.
 */
@Component
public class AdminAccountInitializer implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(AdminAccountInitializer.class);
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private final AnnotatorRepository annotators;
    private final PasswordEncoder passwords = PasswordEncoderFactories.createDelegatingPasswordEncoder();
    private final String username;
    private final String password;
    private final PasswordPolicy policy;

    public AdminAccountInitializer(AnnotatorRepository annotators, PasswordPolicy policy,
                                   @Value("${RLHF_ADMIN_USERNAME:admin}") String username,
                                   @Value("${RLHF_ADMIN_PASSWORD:}") String password) {
        this.annotators = annotators;
        this.policy = policy;
        this.username = username;
        this.password = password;
    }

    /** RLHF_ADMIN_PASSWORD does not meet the password policy; the app does not start. */
    public static final class WeakAdminPasswordException extends IllegalStateException {
        public WeakAdminPasswordException(String problem) {
            super("RLHF_ADMIN_PASSWORD is not accepted: " + problem);
        }
    }

    @Override
    public void run(ApplicationArguments args) {
        if (annotators.findByUsername(username).isPresent()) {
            return;
        }
        boolean generated = !StringUtils.hasText(password);
        if (!generated) {
            policy.problem(username, password).ifPresent(problem -> {
                throw new WeakAdminPasswordException(problem);
            });
        }
        String chosen = generated ? randomPassword() : password;
        annotators.insert(new Annotator(UUID.randomUUID(), username, passwords.encode(chosen),
                EnumSet.of(Annotator.Role.ADMIN, Annotator.Role.ANNOTATOR), Instant.now()));
        if (generated) {
            // Printed once, on purpose: it is not stored anywhere in clear text.
            log.warn("Created admin account '{}' with generated password: {}  (shown only now; set RLHF_ADMIN_PASSWORD before the first start to choose it)",
                    username, chosen);
        } else {
            log.info("Created admin account '{}' with the password from RLHF_ADMIN_PASSWORD", username);
        }
    }

    private static String randomPassword() {
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(20);
        for (int i = 0; i < 20; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
