package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.imports.ImportItem.ImportedResponse;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.Turn;
import tools.jackson.databind.json.JsonMapper;

class ItemParserTest {

    private final ItemParser parser = new ItemParser(JsonMapper.builder().build(), 100);

    private ImportItem one(ImportFormat format, String line) {
        List<ImportItem> items = parser.parse(format, line);
        assertThat(items).hasSize(1);
        return items.getFirst();
    }

    @Test
    void promptsAreAStringOrMessages() {
        assertThat(one(ImportFormat.PROMPTS, "{\"prompt\": \"Write a haiku.\"}"))
                .isEqualTo(new ImportItem(Conversation.ofUser("Write a haiku."), null, List.of(), null, true));
        ImportItem messages = one(ImportFormat.PROMPTS, """
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                              {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Joke?"}]}""");
        assertThat(messages.prompt().turns()).extracting(Turn::role).containsExactly("system", "user", "assistant", "user");
        assertThat(one(ImportFormat.PROMPTS, "{\"conversation\": [{\"role\": \"human\", \"content\": \"x\"}]}").prompt())
                .isEqualTo(Conversation.ofUser("x"));
    }

    @Test
    void responsesKeepTheirModelAndDropRepeatedTexts() {
        ImportItem item = one(ImportFormat.RESPONSES, """
                {"prompt": "Q", "responses": [{"text": "a", "model": "m1"}, "b", {"text": "a", "model": "m2"}]}""");
        assertThat(item.responses()).containsExactly(new ImportedResponse("a", "m1"), new ImportedResponse("b", null));
        assertThat(item.ranking()).isNull();
        assertThat(item.requestSamples()).isFalse();
    }

    @Test
    void pairsAcceptStringsOrTrlConversationalMessages() {
        ImportItem item = one(ImportFormat.PAIRS, """
                {"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant", "content": "good"}], "rejected": "bad"}""");
        assertThat(item.prompt()).isEqualTo(Conversation.ofUser("Q"));
        assertThat(item.responses()).extracting(ImportedResponse::text).containsExactly("good", "bad");
        assertThat(item.ranking()).containsExactly(List.of(0), List.of(1));
    }

    @Test
    void hhLinesBecomeAPromptAndAPreference() {
        ImportItem item = one(ImportFormat.HH, """
                {"chosen": "\\n\\nHuman: Q\\n\\nAssistant: good", "rejected": "\\n\\nHuman: Q\\n\\nAssistant: bad"}""");
        assertThat(item.prompt()).isEqualTo(Conversation.ofUser("Q"));
        assertThat(item.responses()).containsExactly(new ImportedResponse("good", "hh-rlhf"), new ImportedResponse("bad", "hh-rlhf"));
        assertThat(item.ranking()).containsExactly(List.of(0), List.of(1));
    }

    @Test
    void oasstTreesGiveOneItemPerRankedGroup() {
        List<ImportItem> items = parser.parse(ImportFormat.OASST, """
                {"prompt": {"message_id": "m0", "role": "prompter", "text": "Q", "replies": [
                  {"role": "assistant", "text": "worse", "rank": 1}, {"role": "assistant", "text": "better", "rank": 0}]}}""");
        assertThat(items).singleElement().satisfies(item -> {
            assertThat(item.sourceRef()).isEqualTo("m0");
            assertThat(item.responses()).containsExactly(new ImportedResponse("better", "oasst"), new ImportedResponse("worse", "oasst"));
            assertThat(item.ranking()).containsExactly(List.of(0), List.of(1));
        });
        assertThat(parser.parse(ImportFormat.OASST, "{\"prompt\": {\"role\": \"prompter\", \"text\": \"no replies\"}}")).isEmpty();
    }

    @Test
    void errorsNameTheField() {
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": \"unterminated", "invalid JSON");
        assertRejected(ImportFormat.PROMPTS, "[1, 2]", "the line is not a JSON object");
        assertRejected(ImportFormat.PROMPTS, "{\"text\": \"x\"}", "\"prompt\" is missing");
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": 42}", "\"prompt\" must be a string or an array");
        assertRejected(ImportFormat.PROMPTS, "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                "\"messages[0].role\" must be user, assistant or system, not \"tool\"");
        assertRejected(ImportFormat.PROMPTS, "{\"messages\": [{\"role\": \"user\"}]}", "\"messages[0].content\" is missing");
        assertRejected(ImportFormat.PROMPTS, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}",
                "\"messages\" must end with a user turn");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\"}", "\"responses\" is missing");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\", \"responses\": [{\"model\": \"m\"}, \"b\"]}", "\"responses[0].text\" is missing");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\", \"responses\": [\"a\", \"a\"]}", "\"responses\" needs at least 2 different texts");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\", \"responses\": [{\"text\": \"a\", \"model\": \"" + "m".repeat(201) + "\"}, \"b\"]}",
                "\"responses[0].model\" exceeds 200 characters");
        assertRejected(ImportFormat.PAIRS, "{\"prompt\": \"Q\", \"chosen\": \"a\"}", "\"rejected\" is missing");
        assertRejected(ImportFormat.PAIRS, "{\"prompt\": \"Q\", \"chosen\": \"a\", \"rejected\": \"a\"}", "\"chosen\" and \"rejected\" are the same text");
        assertRejected(ImportFormat.HH, "{\"chosen\": \"\\n\\nHuman: Q\\n\\nAssistant: a\"}", "\"rejected\" is missing");
        assertRejected(ImportFormat.HH, "{\"chosen\": 1, \"rejected\": \"x\"}", "\"chosen\" must be a string");
    }

    @Test
    void textsOverTheLimitAndNulCharactersAreRejected() {
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": \"" + "x".repeat(101) + "\"}", "\"prompt\" exceeds 100 characters (101)");
        assertRejected(ImportFormat.PAIRS, "{\"prompt\": \"Q\", \"chosen\": \"" + "x".repeat(101) + "\", \"rejected\": \"b\"}",
                "\"chosen\" exceeds 100 characters");
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": \"a\\u0000b\"}", "\"prompt\" contains a NUL character");
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": \"a\\ud800b\"}", "\"prompt\" contains an unpaired UTF-16 surrogate (\\ud800)");
        assertThat(one(ImportFormat.PROMPTS, "{\"prompt\": \"emoji \\ud83d\\ude00\"}").prompt()).isEqualTo(Conversation.ofUser("emoji \uD83D\uDE00"));
    }

    @Test
    void blankPromptsAreRejectedEverywhereAndBlankResponsesWhereTheyWouldOnlyBeShownForRanking() {
        assertRejected(ImportFormat.PROMPTS, "{\"prompt\": \" \\n\"}", "\"prompt\" is blank");
        assertRejected(ImportFormat.PROMPTS, "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"\"}]}",
                "\"messages\" is blank (its last turn, the one to answer)");
        assertRejected(ImportFormat.PAIRS, "{\"prompt\": \"\", \"chosen\": \"a\", \"rejected\": \"b\"}", "\"prompt\" is blank");
        assertRejected(ImportFormat.HH, "{\"chosen\": \"\\n\\nHuman:  \\n\\nAssistant: a\", \"rejected\": \"\\n\\nHuman:  \\n\\nAssistant: b\"}",
                "\"prompt\" is blank");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\", \"responses\": [\"a\", \"\\t\"]}", "\"responses[1]\" is blank");
        assertRejected(ImportFormat.RESPONSES, "{\"prompt\": \"Q\", \"responses\": [{\"text\": \"\"}, \"b\"]}", "\"responses[0].text\" is blank");

        // An empty system turn before the question is fine; so is an empty judged response in a preference format.
        assertThat(one(ImportFormat.PROMPTS, "{\"messages\": [{\"role\": \"system\", \"content\": \"\"}, {\"role\": \"user\", \"content\": \"Q\"}]}")
                .prompt().turns()).hasSize(2);
        assertThat(one(ImportFormat.HH, "{\"chosen\": \"\\n\\nHuman: Q\\n\\nAssistant: \", \"rejected\": \"\\n\\nHuman: Q\\n\\nAssistant: Rude.\"}")
                .responses().getFirst().text()).isEmpty();
        assertThat(one(ImportFormat.PAIRS, "{\"prompt\": \"Q\", \"chosen\": \"\", \"rejected\": \"Rude.\"}").responses().getFirst().text()).isEmpty();
    }

    private void assertRejected(ImportFormat format, String line, String message) {
        assertThatThrownBy(() -> parser.parse(format, line)).isInstanceOf(InvalidLineException.class).hasMessageContaining(message);
    }
}
