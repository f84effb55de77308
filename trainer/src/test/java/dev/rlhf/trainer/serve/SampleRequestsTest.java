package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.schemas.events.GenerationSettings;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.generation.GenerationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sample requests: the event mapped to its typed form, stored, and read back (older state directories too). */
class SampleRequestsTest {

    @TempDir
    Path dir;

    @Test
    void anEventIsStoredTypedAndReadBackAfterAReopen() throws Exception {
        UUID id = UUID.randomUUID();
        SampleRequested event = SampleRequested.newBuilder().setEventId(id).setProjectId("project").setPromptId("prompt-1")
                .setPrompt(List.of(new Turn("system", "Be brief."), new Turn("user", "Tell a story.")))
                .setNumSamples(3)
                .setGeneration(GenerationSettings.newBuilder().setMaxNewTokens(16).setTopP(0.9).setSeed(7L).build())
                .build();
        SampleRequest expected = new SampleRequest(id.toString(), "project", "prompt-1",
                List.of(new ChatMessage("system", "Be brief."), ChatMessage.user("Tell a story.")), 3,
                new SampleRequest.Settings(16, null, null, 0.9, 7L));
        assertThat(SampleRequest.of(event)).isEqualTo(expected);

        Path file = dir.resolve(StateLayout.REQUESTS_FILE);
        try (SampleRequests requests = new SampleRequests(file)) {
            assertThat(requests.append(SampleRequest.of(event))).isTrue();
            assertThat(requests.append(SampleRequest.of(event))).as("a duplicate event id").isFalse();
            requests.sync();
        }
        try (SampleRequests reopened = new SampleRequests(file)) {
            assertThat(reopened.head(reopened.size())).containsExactly(expected);
        }
    }

    @Test
    void linesWrittenByEarlierVersionsReadAsTheyAre() throws Exception {
        // As TrainingLoop.onSampleRequest wrote them, field by field, before requests were typed.
        Files.writeString(dir.resolve(StateLayout.REQUESTS_FILE), """
                {"event_id":"e1","project_id":"p","prompt_id":"q1","messages":[{"role":"user","content":"Once"}],"num_samples":4}
                {"event_id":"e2","project_id":"p","prompt_id":"q2","messages":[{"role":"user","content":"Twice"}],"num_samples":2,\
                "generation":{"max_new_tokens":12,"temperature":null,"top_k":5,"top_p":null,"seed":null}}
                """);
        try (SampleRequests requests = new SampleRequests(dir.resolve(StateLayout.REQUESTS_FILE))) {
            assertThat(requests.head(requests.size())).containsExactly(
                    new SampleRequest("e1", "p", "q1", ChatMessage.userPrompt("Once"), 4, null),
                    new SampleRequest("e2", "p", "q2", ChatMessage.userPrompt("Twice"), 2,
                            new SampleRequest.Settings(12, null, 5, null, null)));
        }
    }

    @Test
    void theSettingsARequestGivesReplaceTheLoopDefaultsAndTheRestStay() {
        GenerationConfig defaults = GenerationConfig.defaults().withTemperature(0.7f).withMaxNewTokens(48);
        GenerationConfig g = new SampleRequest.Settings(16, null, null, 0.9, null).over(defaults);
        assertThat(g.maxNewTokens()).isEqualTo(16);
        assertThat(g.topP()).isEqualTo(0.9f);
        assertThat(g.temperature()).isEqualTo(0.7f);
        assertThat(g.topK()).isEqualTo(defaults.topK());
    }

    @Test
    void aRequestWithoutPromptIsRejected() {
        SampleRequested empty = SampleRequested.newBuilder().setEventId(UUID.randomUUID()).setProjectId("p").setPromptId("q")
                .setPrompt(List.of()).setNumSamples(2).build();
        assertThatThrownBy(() -> SampleRequest.of(empty)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty prompt");
    }
}
