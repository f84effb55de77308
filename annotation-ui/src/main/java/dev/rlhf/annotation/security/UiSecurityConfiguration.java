package dev.rlhf.annotation.security;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;

/**
 * Security of the UI: form login on {@link LoginView} with the accounts of the annotators table;
 * each view declares who may open it (@PermitAll, @RolesAllowed("ADMIN")). The REST API and the
 * actuator have their own, earlier filter chains (feedback-service).
 */
@Configuration(proxyBeanMethods = false)
public class UiSecurityConfiguration {

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    SecurityFilterChain uiSecurity(HttpSecurity http) throws Exception {
        // Static assets the views load (chart library, stylesheets) hold no data.
        http.authorizeHttpRequests(auth -> auth.requestMatchers("/webjars/**", "/styles/**").permitAll());
        return http.with(VaadinSecurityConfigurer.vaadin(), vaadin -> vaadin.loginView(LoginView.class)).build();
    }
}
