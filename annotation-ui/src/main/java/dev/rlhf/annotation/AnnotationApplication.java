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
        SpringApplication.run(AnnotationApplication.class, args);
    }
}
