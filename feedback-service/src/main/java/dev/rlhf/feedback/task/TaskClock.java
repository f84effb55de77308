package dev.rlhf.feedback.task;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The time leases and submissions are stamped with: a bean, so tests can move it instead of sleeping. */
@Configuration(proxyBeanMethods = false)
public class TaskClock {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
