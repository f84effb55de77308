package dev.rlhf.feedback.api;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

import jakarta.servlet.DispatcherType;

/**
 * Registers {@link ApiProblemFilter} for {@code /api/*}, ahead of Spring Security's filters, and
 * right after it {@link RequestBodyLimitFilter}.
 */
@Configuration(proxyBeanMethods = false)
public class ApiErrorsConfiguration {

    @Bean
    FilterRegistrationBean<ApiProblemFilter> apiProblemFilter() {
        var registration = new FilterRegistrationBean<>(new ApiProblemFilter());
        registration.addUrlPatterns("/api/*");
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        // After the character encoding and observation filters, before Spring Security (order -100).
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @Bean
    FilterRegistrationBean<RequestBodyLimitFilter> requestBodyLimitFilter(ApiProperties properties) {
        var registration = new FilterRegistrationBean<>(new RequestBodyLimitFilter(properties.maxBodyBytes()));
        registration.addUrlPatterns("/api/*");
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        // Inside ApiProblemFilter (so its problem documents are written the same way), before Spring Security.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 11);
        return registration;
    }
}
