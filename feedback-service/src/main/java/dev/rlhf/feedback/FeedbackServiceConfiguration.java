package dev.rlhf.feedback;

import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

/** Import this (or scan {@code dev.rlhf.feedback}) to run the feedback service inside an application. */
@Configuration(proxyBeanMethods = false)
@ComponentScan
@ConfigurationPropertiesScan
public class FeedbackServiceConfiguration {
}
