package dev.rlhf.feedback.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.stereotype.Component;

import dev.rlhf.feedback.annotator.AnnotatorRepository;

/**
 * Every username/password login (HTTP Basic on the API and the actuator, the UI's login form):
 * refused while {@link LoginThrottle} holds its account or address locked, else checked against the
 * annotators table; failures and successes are counted. A disabled account is refused only after
 * its password was right, so a guesser learns nothing about which accounts are disabled.
 * Being the only {@link AuthenticationProvider} bean, it is what Spring Security's global
 * authentication manager uses.
 */
@Component
public class ThrottledPasswordAuthenticationProvider implements AuthenticationProvider {

    private final DaoAuthenticationProvider passwords;
    private final LoginThrottle throttle;

    public ThrottledPasswordAuthenticationProvider(AnnotatorRepository annotators, PasswordEncoder encoder, LoginThrottle throttle) {
        this.passwords = new DaoAuthenticationProvider(new AnnotatorUserDetailsService(annotators));
        this.passwords.setPasswordEncoder(encoder);
        // Disabled is checked after the password (below), not before it.
        this.passwords.setPreAuthenticationChecks(user -> { });
        this.throttle = throttle;
    }

    @Override
    public Authentication authenticate(Authentication login) throws AuthenticationException {
        String username = login.getName();
        String address = login.getDetails() instanceof WebAuthenticationDetails web ? web.getRemoteAddress() : null;
        var refused = throttle.check(username, address);
        if (refused.isPresent()) {
            throw refused.get();
        }
        Authentication result;
        try {
            result = passwords.authenticate(login);
        } catch (BadCredentialsException wrong) {
            throttle.failed(username, address);
            throw wrong;
        }
        if (result.getPrincipal() instanceof UserDetails user && !user.isEnabled()) {
            throw new DisabledException("Account '" + username + "' is disabled");
        }
        throttle.succeeded(username);
        return result;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
