package dev.rlhf.feedback.security;

import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;

import dev.rlhf.feedback.annotator.AnnotatorPrincipal;
import dev.rlhf.feedback.annotator.AnnotatorRepository;

/**
 * Logs annotators and admins in with the accounts in the annotators table; used by
 * {@link ThrottledPasswordAuthenticationProvider} (not a bean of its own, so the provider is the one
 * way passwords are checked).
 */
public class AnnotatorUserDetailsService implements UserDetailsService {

    private final AnnotatorRepository annotators;

    public AnnotatorUserDetailsService(AnnotatorRepository annotators) {
        this.annotators = annotators;
    }

    @Override
    public UserDetails loadUserByUsername(String username) {
        return annotators.findByUsername(username)
                .<UserDetails>map(AnnotatorPrincipal::of)
                .orElseThrow(() -> new UsernameNotFoundException("No account " + username));
    }
}
