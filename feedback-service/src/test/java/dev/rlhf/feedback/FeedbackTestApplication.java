package dev.rlhf.feedback;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/** The feedback service as an application, for this module's integration tests. */
@SpringBootApplication
@Import(FeedbackServiceConfiguration.class)
public class FeedbackTestApplication {
}
