package dev.rlhf.feedback.security;

import java.io.IOException;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.rlhf.feedback.annotator.AnnotatorPrincipal;
import dev.rlhf.feedback.annotator.ApiTokenService;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code Authorization: Bearer <token>} with a token from {@link ApiTokenService}: acts as its owner. */
@Component
public class ApiTokenAuthenticationFilter extends OncePerRequestFilter {

    private final ApiTokenService tokens;

    public ApiTokenAuthenticationFilter(ApiTokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            // One query finds the token and its account: API clients send a token with every request.
            var owner = tokens.accountOf(header.substring(7).trim());
            if (owner.isEmpty()) {
                // A 401 problem document (ApiProblemFilter), not a redirect to the UI's login.
                response.setHeader("WWW-Authenticate", "Bearer realm=\"rlhf\", error=\"invalid_token\", error_description=\"Unknown, expired or revoked API token\"");
                response.sendError(HttpServletResponse.SC_UNAUTHORIZED, "Unknown, expired or revoked API token");
                return;
            }
            UserDetails user = AnnotatorPrincipal.of(owner.get());
            var authentication = UsernamePasswordAuthenticationToken.authenticated(user, null, user.getAuthorities());
            authentication.setDetails(VIA_API_TOKEN);
            SecurityContextHolder.getContext().setAuthentication(authentication);
        }
        chain.doFilter(request, response);
    }

    /** The details of an authentication made with a bearer token (not a password). */
    public static final Object VIA_API_TOKEN = new Object() {
        @Override
        public String toString() {
            return "API token";
        }
    };

    /** Whether the caller authenticated with an API bearer token. */
    public static boolean viaApiToken(java.security.Principal caller) {
        return caller instanceof org.springframework.security.core.Authentication a && a.getDetails() == VIA_API_TOKEN;
    }
}
