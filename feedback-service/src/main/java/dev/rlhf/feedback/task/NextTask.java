package dev.rlhf.feedback.task;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.ser.std.ToStringSerializer;

/**
 * What an annotator is shown: the prompt, the guidelines and the responses in their own shuffled order,
 * and what to give for them (the project's feedback mode, written as its wire name).
 */
public record NextTask(UUID taskId, UUID projectId, Conversation prompt, String guidelines, List<ShownResponse> responses,
                       Instant leaseExpiresAt, @JsonSerialize(using = ToStringSerializer.class) FeedbackMode feedbackMode) {

    public record ShownResponse(UUID id, String text) {
    }
}
