package dev.rlhf.feedback.prompt;

import java.time.Instant;
import java.util.UUID;

public record Prompt(UUID id, UUID projectId, Conversation conversation, String source, String sourceRef, Instant createdAt) {
}
