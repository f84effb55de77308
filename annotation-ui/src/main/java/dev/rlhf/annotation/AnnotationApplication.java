package dev.rlhf.annotation;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

import dev.rlhf.feedback.FeedbackServiceConfiguration;

/**
 * The annotation app: UI and REST API in one process. With no configuration it runs the
 * zero-install default (in-process Kafka on localhost:9092, embedded database under ./data/).
 */
@SpringBootApplication
@Import(FeedbackServiceConfiguration.class)
public class AnnotationApplication {

    public static void main(String[] args) {
        // A library that logs after a failed start has shut logging down (Atmosphere does) would make
        // logback print a "no appenders" notice below the one-line explanation; logback's own status
        // chatter is not for users.
        if (System.getProperty("logback.statusListenerClass") == null) {
            System.setProperty("logback.statusListenerClass", "ch.qos.logback.core.status.NopStatusListener");
        }
        SpringApplication.run(AnnotationApplication.class, args);
    }
}
