package dev.rlhf.feedback.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A ranking task: a prompt with the responses to rank, ranked by {@code annotatorsNeeded} people. */
public record Task(UUID id, UUID projectId, UUID promptId, List<UUID> responseIds, int annotatorsNeeded, int rankingsCount,
                   Instant createdAt) {
}
