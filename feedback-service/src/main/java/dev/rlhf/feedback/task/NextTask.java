package dev.rlhf.feedback.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.rlhf.feedback.prompt.Conversation;

/** What an annotator is shown: the prompt, the guidelines and the responses in their own shuffled order. */
public record NextTask(UUID taskId, UUID projectId, Conversation prompt, String guidelines, List<ShownResponse> responses,
                       Instant leaseExpiresAt) {

    public record ShownResponse(UUID id, String text) {
    }
}
