package dev.rlhf.feedback.annotator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * What a new password must be (NIST SP 800-63B: length, and not a known-bad value; no composition
 * rules): at least {@code rlhf.security.passwords.min-length} characters, at most 72 bytes (what
 * bcrypt reads), not only whitespace, not one character repeated, not the username and not containing
 * it, and not a common password (a bundled list of about 400, compared ignoring case and ignoring
 * digits and symbols added at the end, so {@code Password2024!} counts as {@code password}).
 */
@Component
public class PasswordPolicy {

    /** bcrypt reads at most 72 bytes; Spring's encoder refuses longer passwords. */
    public static final int MAX_BYTES = 72;
    private static final String LIST = "common-passwords.txt";

    private final int minLength;
    private final Set<String> common;

    public PasswordPolicy(CredentialsProperties properties) {
        this.minLength = properties.passwords().minLength();
        this.common = load();
    }

    public int minLength() {
        return minLength;
    }

    /** What is wrong with this password for this account, or empty when it may be used. */
    public Optional<String> problem(String username, String password) {
        if (password == null || password.isEmpty()) {
            return Optional.of("password is missing");
        }
        if (password.isBlank()) {
            return Optional.of("password must not be only whitespace");
        }
        if (password.codePointCount(0, password.length()) < minLength) {
            return Optional.of("password must have at least " + minLength + " characters");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return Optional.of("password must have at most " + MAX_BYTES + " bytes (UTF-8)");
        }
        if (password.codePoints().distinct().count() == 1) {
            return Optional.of("password must not be one character repeated");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (username != null && !username.isBlank()) {
            String name = username.toLowerCase(Locale.ROOT);
            if (lower.equals(name) || (name.length() >= 3 && lower.contains(name))) {
                return Optional.of("password must not contain the username");
            }
        }
        String stem = lower.replaceAll("[\\d\\p{Punct}\\s]+$", "");
        if (common.contains(lower) || common.contains(stem) || common.contains(lower.replaceAll("\\s", ""))) {
            return Optional.of("password is too common (it is on the list of the most used passwords); choose another");
        }
        return Optional.empty();
    }

    private static Set<String> load() {
        Set<String> words = new HashSet<>();
        try (InputStream in = PasswordPolicy.class.getResourceAsStream(LIST)) {
            if (in == null) {
                throw new IllegalStateException("The common-password list " + LIST + " is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                String word = line.strip().toLowerCase(Locale.ROOT);
                if (!word.isEmpty() && !word.startsWith("#")) {
                    words.add(word);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(words);
    }
}
