package dev.rlhf.feedback.project;

import java.time.Instant;
import java.util.UUID;

import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.ser.std.ToStringSerializer;

/**
 * An annotation project.
 *
 * @param responsesPerTask  K, the responses one ranking task shows (InstructGPT ranked K = 4..9)
 * @param annotatorsPerTask distinct annotators who rank each task (Open-Assistant used 3)
 * @param leaseSeconds      how long a task stays with one annotator before it returns to the pool
 * @param feedbackMode      what annotators give per task: a ranking (the default), a graded pair, ratings or thumbs;
 *                          written as its wire name ({@code "pairwise"})
 */
public record Project(UUID id, String name, String guidelines, int responsesPerTask, int annotatorsPerTask,
                      int leaseSeconds, Instant createdAt, @JsonSerialize(using = ToStringSerializer.class) FeedbackMode feedbackMode) {

    /** A ranking project, the mode of every project before feedback modes existed. */
    public Project(UUID id, String name, String guidelines, int responsesPerTask, int annotatorsPerTask, int leaseSeconds, Instant createdAt) {
        this(id, name, guidelines, responsesPerTask, annotatorsPerTask, leaseSeconds, createdAt, FeedbackMode.RANKING);
    }

    public static final int DEFAULT_RESPONSES_PER_TASK = 4;
    public static final int DEFAULT_ANNOTATORS_PER_TASK = 3;
    public static final int DEFAULT_LEASE_SECONDS = 1800;
}
