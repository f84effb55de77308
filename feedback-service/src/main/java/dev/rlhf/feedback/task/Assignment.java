package dev.rlhf.feedback.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One annotator's hold on a task: the responses in the order shown to them, and the lease. */
public record Assignment(UUID id, UUID taskId, UUID annotatorId, List<UUID> shownOrder, String status,
                         Instant leasedAt, Instant leaseExpiresAt) {

    public static final String LEASED = "LEASED";
    public static final String SUBMITTED = "SUBMITTED";
    public static final String SKIPPED = "SKIPPED";

    public boolean activeAt(Instant now) {
        return LEASED.equals(status) && leaseExpiresAt.isAfter(now);
    }
}
