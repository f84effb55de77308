package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.prompt.Turn;

class HhTranscriptsTest {

    @Test
    void theSharedPrefixUpToTheLastAssistantMarkerIsThePrompt() {
        String prompt = "\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?\n\nHuman: Tell me a joke.";
        var split = HhTranscripts.split(prompt + "\n\nAssistant: Why did the chicken cross the road?", prompt + "\n\nAssistant: No.");

        assertThat(split.prompt()).containsExactly(new Turn(Turn.USER, "Hi there"), new Turn(Turn.ASSISTANT, "Hello! How can I help?"),
                new Turn(Turn.USER, "Tell me a joke."));
        assertThat(split.chosen()).isEqualTo("Why did the chicken cross the road?");
        assertThat(split.rejected()).isEqualTo("No.");
    }

    @Test
    void onlyTheOneSpaceAfterTheMarkerIsDroppedSoTranscriptsRoundTrip() {
        String chosen = "\n\nHuman:  two spaces\n\nand a paragraph\n\nAssistant:   indented";
        String rejected = "\n\nHuman:  two spaces\n\nand a paragraph\n\nAssistant: ";
        var split = HhTranscripts.split(chosen, rejected);

        assertThat(split.prompt()).containsExactly(new Turn(Turn.USER, " two spaces\n\nand a paragraph"));
        assertThat(split.chosen()).isEqualTo("  indented");
        assertThat(split.rejected()).isEmpty();
        assertThat(HhRoundTrip.transcript(split.prompt(), split.chosen())).isEqualTo(chosen);
        assertThat(HhRoundTrip.transcript(split.prompt(), split.rejected())).isEqualTo(rejected);
    }

    @Test
    void aResponseContainingAnAssistantMarkerStaysWholeWhenTheOtherDiffersBeforeIt() {
        // Real HH lines do this: the chosen reply itself contains "\n\nAssistant:".
        String prompt = "\n\nHuman: Can you find me a serial?";
        String chosen = prompt + "\n\nAssistant: Alright, here's the key:\n\nAssistant:  O.k. let's try.";
        String rejected = prompt + "\n\nAssistant: You mean a password?";
        var split = HhTranscripts.split(chosen, rejected);

        assertThat(split.prompt()).containsExactly(new Turn(Turn.USER, "Can you find me a serial?"));
        assertThat(split.chosen()).isEqualTo("Alright, here's the key:\n\nAssistant:  O.k. let's try.");
        assertThat(HhRoundTrip.transcript(split.prompt(), split.chosen())).isEqualTo(chosen);
        assertThat(HhRoundTrip.transcript(split.prompt(), split.rejected())).isEqualTo(rejected);
    }

    @Test
    void speakerLikeTextThatIsNoMarkerStaysInTheTurn() {
        String prompt = "\n\nHuman: say it\n\nAssistant: Here:\n\n\nAssistants are great. Human: yes\n\nHuman: more";
        var split = HhTranscripts.split(prompt + "\n\nAssistant: a", prompt + "\n\nAssistant: b");

        assertThat(split.prompt()).extracting(Turn::content).containsExactly("say it", "Here:\n\n\nAssistants are great. Human: yes", "more");
        assertThat(HhRoundTrip.render(split.prompt())).isEqualTo(prompt);
    }

    @Test
    void transcriptsThatCannotRoundTripAreRejectedNamingTheField() {
        assertThatThrownBy(() -> HhTranscripts.split("\n\nHuman: a\n\nAssistant: b", "\n\nHuman: c\n\nAssistant: b"))
                .hasMessage("\"chosen\" and \"rejected\" do not share a prompt ending in \"\\n\\nAssistant:\"");
        assertThatThrownBy(() -> HhTranscripts.split("Human: a\n\nAssistant: b", "Human: a\n\nAssistant: c"))
                .hasMessage("\"chosen\" must start with \"\\n\\nHuman: \"");
        assertThatThrownBy(() -> HhTranscripts.split("\n\nHuman:a\n\nAssistant: b", "\n\nHuman:a\n\nAssistant: c"))
                .hasMessage("\"chosen\" turn 1 has no space after \"Human:\"");
        assertThatThrownBy(() -> HhTranscripts.split("\n\nHuman: a\n\nAssistant:b", "\n\nHuman: a\n\nAssistant: c"))
                .hasMessage("\"chosen\" has no space after its final \"Assistant:\"");
        assertThatThrownBy(() -> HhTranscripts.split("\n\nAssistant: b", "\n\nAssistant: c"))
                .hasMessage("\"chosen\" has no turns before its final \"\\n\\nAssistant:\"");
    }

    @Test
    void renderWritesTheHhLayout() {
        assertThat(HhRoundTrip.render(List.of(new Turn(Turn.USER, "q"), new Turn(Turn.ASSISTANT, "a"))))
                .isEqualTo("\n\nHuman: q\n\nAssistant: a");
        assertThatThrownBy(() -> HhRoundTrip.render(List.of(new Turn(Turn.SYSTEM, "be nice"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
