package dev.rlhf.annotation.security;

import java.io.IOException;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.web.filter.OncePerRequestFilter;

import com.vaadin.flow.spring.security.RequestUtil;
import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;

import dev.rlhf.feedback.annotator.AccountStatus;
import dev.rlhf.feedback.security.LoginThrottledException;
import dev.rlhf.feedback.security.SessionCredentialsFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Security of the UI: form login on {@link LoginView} with the accounts of the annotators table;
 * each view declares who may open it (@PermitAll, @RolesAllowed("ADMIN")). The REST API and the
 * actuator have their own, earlier filter chains (feedback-service).
 * <ul>
 * <li>The login form's POST needs the session's CSRF token (Vaadin's login form sends it from the
 * page's {@code _csrf} meta tags), so another site cannot log a visitor into an account of its
 * choosing. Vaadin's own requests keep their own protection (its per-UI security key).</li>
 * <li>A session ends at its next request once its account is disabled or its password changes
 * ({@link SessionCredentialsFilter}).</li>
 * <li>A throttled login shows how long to wait ({@code /login?locked=<seconds>}).</li>
 * <li>{@value #CONTENT_SECURITY_POLICY}: scripts, styles, fonts and connections only from the app
 * itself (Vaadin's client engine needs inline scripts, {@code eval} and inline styles), images only from
 * the app or inline {@code data:} ones, so an image in rendered markdown that points elsewhere (a
 * tracking pixel) is never fetched.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
public class UiSecurityConfiguration {

    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; "
            + "script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    SecurityFilterChain uiSecurity(HttpSecurity http, RequestUtil vaadinRequests, AccountStatus accounts) throws Exception {
        // Static assets the views load (chart library, stylesheets) hold no data.
        http.authorizeHttpRequests(auth -> auth.requestMatchers("/webjars/**", "/styles/**").permitAll());
        // Vaadin's configurer would exempt the login POST from CSRF; only its internal requests are exempt here.
        http.csrf(csrf -> csrf.ignoringRequestMatchers(vaadinRequests::isFrameworkInternalRequest));
        // The login page is named here too: a form login configured without one, even for a moment,
        // gets Spring Security's generated login page instead of LoginView.
        http.formLogin(form -> form.loginPage("/login").failureHandler(loginFailure()));
        http.addFilterAfter(new SessionCredentialsFilter(accounts), SecurityContextHolderFilter.class);
        return http.with(VaadinSecurityConfigurer.vaadin(), vaadin -> vaadin.loginView(LoginView.class).enableCsrfConfiguration(false))
                .build();
    }

    /**
     * The Content-Security-Policy on every UI response. A servlet filter that sets it before anything
     * is written, not Spring Security's header writer: Vaadin's pages (the login view and every route)
     * are answered by a forward to Vaadin's servlet, and they came back without the headers Spring
     * Security writes.
     */
    @Bean
    FilterRegistrationBean<OncePerRequestFilter> contentSecurityPolicy() {
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                String path = request.getRequestURI().substring(request.getContextPath().length());
                if (!path.startsWith("/api/") && !path.startsWith("/actuator/")) {
                    response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
                }
                chain.doFilter(request, response);
            }
        };
        var registration = new FilterRegistrationBean<>(filter);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }

    private static AuthenticationFailureHandler loginFailure() {
        return (request, response, failure) -> {
            String query = failure instanceof LoginThrottledException throttled ? "locked=" + throttled.retryAfterSeconds() : "error";
            response.sendRedirect(request.getContextPath() + "/login?" + query);
        };
    }
}
