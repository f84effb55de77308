package dev.rlhf.feedback.project;

import java.time.Instant;
import java.util.UUID;

/**
 * An annotation project.
 *
 * @param responsesPerTask  K, the responses one ranking task shows (InstructGPT ranked K = 4..9)
 * @param annotatorsPerTask distinct annotators who rank each task (Open-Assistant used 3)
 * @param leaseSeconds      how long a task stays with one annotator before it returns to the pool
 */
public record Project(UUID id, String name, String guidelines, int responsesPerTask, int annotatorsPerTask,
                      int leaseSeconds, Instant createdAt) {

    public static final int DEFAULT_RESPONSES_PER_TASK = 4;
    public static final int DEFAULT_ANNOTATORS_PER_TASK = 3;
    public static final int DEFAULT_LEASE_SECONDS = 1800;
}
