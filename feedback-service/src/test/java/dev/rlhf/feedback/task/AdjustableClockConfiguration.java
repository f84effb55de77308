package dev.rlhf.feedback.task;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * Picked up by the test application's component scan, so every integration-test class shares one
 * context (one broker port, one schema) and its clock can be moved. Runs as the system clock until
 * a test advances it; tests that do reset it afterwards.
 */
@Configuration(proxyBeanMethods = false)
public class AdjustableClockConfiguration {

    @Bean
    @Primary
    AdjustableClock adjustableClock() {
        return new AdjustableClock();
    }
}
