package dev.rlhf.schemas.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlainTranscriptTest {

    record Turn(String role, String content) {
    }

    static String render(List<Turn> turns, boolean addGenerationPrompt) {
        return PlainTranscript.render(turns, Turn::role, Turn::content, addGenerationPrompt);
    }

    @Test
    void aSingleUserTurnIsItsTextUnchanged() {
        assertThat(render(List.of(new Turn("user", "Once upon a time")), true)).isEqualTo("Once upon a time");
        assertThat(render(List.of(new Turn("user", "Once upon a time")), false)).isEqualTo("Once upon a time");
    }

    @Test
    void anyOtherConversationIsAnHhTranscript() {
        List<Turn> turns = List.of(new Turn("system", "Be brief."), new Turn("user", "Hi"), new Turn("assistant", "Hello."),
                new Turn("user", "Bye"));
        assertThat(render(turns, true)).isEqualTo("\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye\n\nAssistant:");
        assertThat(render(turns, false)).isEqualTo("\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye");
        // One system turn alone is not a bare text.
        assertThat(render(List.of(new Turn("system", "Be brief.")), true)).isEqualTo("\n\nSystem: Be brief.\n\nAssistant:");
    }
}
