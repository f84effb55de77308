package dev.rlhf.trainer.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Data lines to prompt conversations: every accepted shape, and errors that name the field. */
class PromptLinesTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final ChatTemplate PLAIN = PlainChatTemplate.INSTANCE;

    @Test
    void everyShapeOfAPromptGivesTheSameConversation() {
        List<ChatMessage> expected = List.of(new ChatMessage("system", "S"), ChatMessage.user("U"));
        String turns = "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"U\"}]";
        assertThat(PromptLines.conversation(JSON.readTree("{\"messages\": " + turns + "}"))).isEqualTo(expected);
        assertThat(PromptLines.conversation(JSON.readTree("{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                + "{\"role\": \"user\", \"content\": \"U\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}"))).isEqualTo(expected);
        assertThat(PromptLines.conversation(JSON.readTree("{\"prompt\": " + turns + "}"))).isEqualTo(expected);
        assertThat(PromptLines.conversation(JSON.readTree("{\"prompt\": \"text\", \"conversation\": " + turns + "}"))).isEqualTo(expected);
        assertThat(PromptLines.conversation(JSON.readTree("{\"prompt\": \"U\", \"conversation\": []}"))).containsExactly(ChatMessage.user("U"));
        assertThat(PromptLines.templateKwargs(JSON.readTree("{\"prompt\": \"U\", \"template_kwargs\": {\"enable_thinking\": false}}")))
                .containsEntry("enable_thinking", false);
    }

    @Test
    void messagesExportLinesSplitIntoPromptAndResponses() {
        RankedResponses implicit = PreferenceFile.parse(JSON.readTree("{\"chosen\": [{\"role\": \"user\", \"content\": \"Q\"}, "
                + "{\"role\": \"assistant\", \"content\": \"good\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"Q\"}, "
                + "{\"role\": \"assistant\", \"content\": \"bad\"}]}"), PLAIN);
        RankedResponses explicit = PreferenceFile.parse(JSON.readTree("{\"prompt\": [{\"role\": \"user\", \"content\": \"Q\"}], "
                + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"good\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"bad\"}]}"), PLAIN);
        for (RankedResponses r : List.of(implicit, explicit)) {
            assertThat(r.prompt()).isEqualTo("Q");
            assertThat(r.responses()).containsExactly("good", "bad");
        }
    }

    @Test
    void badLinesNameWhatIsWrong() {
        assertThatThrownBy(() -> PreferenceFile.parse(JSON.readTree("{\"chosen\": [{\"role\": \"user\", \"content\": \"Q\"}, "
                + "{\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"R\"}, "
                + "{\"role\": \"assistant\", \"content\": \"b\"}]}"), PLAIN)).hasMessageContaining("differ before their last assistant turn");
        assertThatThrownBy(() -> PreferenceFile.parse(JSON.readTree("{\"chosen\": [{\"role\": \"user\", \"content\": \"Q\"}], "
                + "\"rejected\": [{\"role\": \"user\", \"content\": \"Q\"}]}"), PLAIN)).hasMessageContaining("\"chosen\" must end with an assistant turn");
        assertThatThrownBy(() -> PromptLines.conversation(JSON.readTree("{\"messages\": [{\"role\": \"user\", \"content\": 3}]}")))
                .hasMessageContaining("\"messages\"[0]");
        assertThatThrownBy(() -> PromptLines.conversation(JSON.readTree("{\"text\": \"x\"}"))).hasMessageContaining("\"prompt\"");
    }
}
