package dev.rlhf.feedback.prompt;

import java.util.UUID;

/**
 * A response to a prompt: imported (with the {@code model} that wrote it) or sampled by the
 * trainer (with its {@code policyVersion} and the sum of its tokens' log-probabilities).
 */
public record Response(UUID id, UUID promptId, String text, String model, String policyVersion, Double logprobSum) {
}
