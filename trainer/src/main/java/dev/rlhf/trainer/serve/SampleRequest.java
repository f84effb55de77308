package dev.rlhf.trainer.serve;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.generation.GenerationConfig;
import java.util.List;

/**
 * A {@code SampleRequested} event as the loop keeps and answers it. The JSON of this record (snake_case,
 * see {@link SampleRequests}) is the line format of {@code sample-requests.jsonl}, unchanged since the store
 * began, so older state directories read as they are.
 *
 * @param messages   the conversation to continue, rendered by the policy's chat template when it is sampled
 * @param generation the request's decoding settings, null when it leaves them all to the loop
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SampleRequest(String eventId, String projectId, String promptId, List<ChatMessage> messages, int numSamples,
                            Settings generation) {

    public SampleRequest {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("sample request " + eventId + " has an empty prompt");
        }
        messages = List.copyOf(messages);
    }

    /** The event's fields, typed; an empty prompt is an {@link IllegalArgumentException} (the consumer dead-letters it). */
    public static SampleRequest of(SampleRequested event) {
        GenerationSettings g = event.getGeneration();
        return new SampleRequest(event.getEventId().toString(), event.getProjectId(), event.getPromptId(),
                event.getPrompt().stream().map(t -> new ChatMessage(t.getRole(), t.getContent())).toList(), event.getNumSamples(),
                g == null ? null : new Settings(g.getMaxNewTokens(), g.getTemperature(), g.getTopK(), g.getTopP(), g.getSeed()));
    }

    /** Decoding settings; a null field means the loop's default. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Settings(Integer maxNewTokens, Double temperature, Integer topK, Double topP, Long seed) {

        /** {@code defaults} with the fields this request sets (its seed is applied by the caller, which has a fallback). */
        GenerationConfig over(GenerationConfig defaults) {
            GenerationConfig g = defaults;
            if (maxNewTokens != null) {
                g = g.withMaxNewTokens(maxNewTokens);
            }
            if (temperature != null) {
                g = g.withTemperature(temperature.floatValue());
            }
            if (topK != null) {
                g = g.withTopK(topK);
            }
            if (topP != null) {
                g = g.withTopP(topP.floatValue());
            }
            return g;
        }
    }
}
