package dev.rlhf.feedback.security;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;

import jakarta.servlet.http.HttpServletResponse;

/**
 * Security of the REST API ({@code /api/**}): stateless, HTTP Basic or an API bearer token.
 * Admin-only endpoints are marked with {@code @PreAuthorize("hasRole('ADMIN')")}; an annotator sees
 * and submits only their own tasks (checked in the services). The UI's login is configured separately.
 */
@Configuration(proxyBeanMethods = false)
@EnableMethodSecurity
public class ApiSecurityConfiguration {

    /** The challenge of a 401 under {@code /api/}: HTTP Basic or an API bearer token. */
    public static final String CHALLENGE = "Basic realm=\"rlhf\", Bearer realm=\"rlhf\"";

    static final AuthenticationEntryPoint API_ENTRY_POINT = (request, response, failure) -> {
        if (failure instanceof LoginThrottledException throttled) {
            // 429 with Retry-After: the client should wait, not prompt for other credentials.
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(throttled.retryAfterSeconds()));
            response.sendError(429, throttled.getMessage());
            return;
        }
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE);
        response.sendError(HttpServletResponse.SC_UNAUTHORIZED, switch (failure) {
            case BadCredentialsException bad -> "Bad username or password";
            case DisabledException disabled -> "This account is disabled";
            default -> "Authentication required: HTTP Basic, or an API token as 'Authorization: Bearer <token>'";
        });
    };

    /** The actuator's: the same statuses, as plain text (no problem documents outside /api/). */
    static final AuthenticationEntryPoint ACTUATOR_ENTRY_POINT = (request, response, failure) -> {
        if (failure instanceof LoginThrottledException throttled) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(throttled.retryAfterSeconds()));
            response.setStatus(429);
        } else {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"rlhf\"");
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        }
        response.setContentType("text/plain;charset=UTF-8");
        response.getWriter().write(failure.getMessage() == null ? "Authentication required" : failure.getMessage());
    };

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /** The token filter runs inside the API chain only, not as a servlet filter on every request. */
    @Bean
    FilterRegistrationBean<ApiTokenAuthenticationFilter> apiTokenFilterNotGlobal(ApiTokenAuthenticationFilter filter) {
        var registration = new FilterRegistrationBean<>(filter);
        registration.setEnabled(false);
        return registration;
    }

    @Bean
    @Order(1)
    SecurityFilterChain apiSecurity(HttpSecurity http, ApiTokenAuthenticationFilter tokens) throws Exception {
        http.securityMatcher("/api/**")
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers(HttpMethod.POST, "/api/v1/annotators").hasRole("ADMIN")
                        .anyRequest().authenticated())
                // 401 with a challenge for both schemes, as a problem document (ApiProblemFilter), never a login redirect.
                .httpBasic(basic -> basic.authenticationEntryPoint(API_ENTRY_POINT))
                .exceptionHandling(e -> e.authenticationEntryPoint(API_ENTRY_POINT))
                .addFilterBefore(tokens, BasicAuthenticationFilter.class)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                // Stateless API clients send credentials on every request; there is no session to forge.
                .csrf(csrf -> csrf.disable());
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain actuatorSecurity(HttpSecurity http) throws Exception {
        http.securityMatcher("/actuator/**")
                .authorizeHttpRequests(auth -> auth.requestMatchers("/actuator/health/**", "/actuator/health", "/actuator/info").permitAll()
                        .anyRequest().hasRole("ADMIN"))
                // Basic credentials on /actuator/health show its details to admins (management.endpoint.health.roles).
                .httpBasic(basic -> basic.authenticationEntryPoint(ACTUATOR_ENTRY_POINT))
                .exceptionHandling(e -> e.authenticationEntryPoint(ACTUATOR_ENTRY_POINT))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(csrf -> csrf.disable());
        return http.build();
    }
}
