package dev.rlhf.feedback.security;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.rlhf.feedback.annotator.AccountStatus;
import dev.rlhf.feedback.annotator.AnnotatorPrincipal;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/**
 * Ends a login session whose account was disabled or whose password changed since it logged in: the
 * session is invalidated before the request is authorized, so the request goes on as anonymous (the
 * UI sends it to the login page). Works across app instances sharing a database ({@link AccountStatus}).
 * Added to a session-based filter chain after its {@code SecurityContextHolderFilter}.
 */
public class SessionCredentialsFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(SessionCredentialsFilter.class);

    private final AccountStatus status;

    public SessionCredentialsFilter(AccountStatus status) {
        this.status = status;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        var context = SecurityContextHolder.getContext();
        if (context.getAuthentication() != null && context.getAuthentication().getPrincipal() instanceof AnnotatorPrincipal principal
                && principal.accountId() != null && !status.isCurrent(principal.accountId(), principal.credentialsVersion())) {
            log.info("Ending the session of '{}': the account was disabled or its password changed", principal.getUsername());
            SecurityContextHolder.clearContext();
            HttpSession session = request.getSession(false);
            if (session != null) {
                session.invalidate();
            }
        }
        chain.doFilter(request, response);
    }
}
