package dev.rlhf.trainer.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Qwen3 chat-template cases of ../shared/data/chat-templates (rendered by transformers' jinja2
 * environment and tokenized by an independent port of HF tokenizers) reproduced byte for byte and id
 * for id, from the tokenizer files of tiny-random-qwen3 alone (no weights are loaded).
 */
class ChatTemplateTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static HuggingFaceTextTokenizer qwen;

    static Path qwen3Dir() {
        return SharedData.dir().resolve("data/models/tiny-random-qwen3");
    }

    @BeforeAll
    static void load() throws Exception {
        qwen = HuggingFaceTextTokenizer.load(qwen3Dir().resolve("tokenizer.json"), 151643, 151645, 151936);
    }

    @AfterAll
    static void close() {
        qwen.close();
    }

    static List<JsonNode> caseNodes() throws Exception {
        JsonNode file = JSON.readTree(SharedData.dir().resolve("data/chat-templates/qwen3-cases.json").toFile());
        List<JsonNode> cases = new ArrayList<>();
        file.get("cases").forEach(cases::add);
        assertThat(cases).hasSize(6);
        return cases;
    }

    static List<Arguments> cases() throws Exception {
        return caseNodes().stream().map(c -> Arguments.of(c.get("name").asString(), c)).toList();
    }

    static Map<String, Object> kwargs(JsonNode c) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        JsonNode node = c.get("template_kwargs");
        if (node != null) {
            node.properties().forEach(e -> kwargs.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        }
        return kwargs;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void qwen3CaseRendersByteForByteAndTokenizesToTheListedIds(String name, JsonNode c) {
        List<ChatMessage> messages = ChatMessage.parse(c.get("messages"), "messages");
        String rendered = qwen.chatTemplate().render(messages, c.get("add_generation_prompt").asBoolean(), kwargs(c));
        assertThat(rendered).isEqualTo(c.get("rendered").asString());
        int[] expected = new int[c.get("token_ids").size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = c.get("token_ids").get(i).asInt();
        }
        assertThat(qwen.encode(rendered)).containsExactly(expected);
    }

    /** Other families' templates (test resources, see their NOTICE) against Python jinja2's output. */
    static List<Arguments> otherTemplateCases() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (String file : List.of("qwen2_5-cases.json")) {
            JsonNode f = JSON.readTree(ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + file));
            Map<String, String> special = new LinkedHashMap<>();
            f.get("special_tokens").properties().forEach(e -> special.put(e.getKey(), e.getValue().asString()));
            JinjaChatTemplate template = new JinjaChatTemplate(f.get("chat_template").asString(), special);
            for (JsonNode c : f.get("cases")) {
                out.add(Arguments.of(f.get("template").asString() + " " + c.get("name").asString(), template, c));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherTemplateCases")
    void otherFamiliesTemplatesRenderAsJinja2Does(String name, JinjaChatTemplate template, JsonNode c) {
        String rendered = template.render(ChatMessage.parse(c.get("messages"), "messages"),
                c.get("add_generation_prompt").asBoolean(), kwargs(c));
        assertThat(rendered).isEqualTo(c.get("rendered").asString());
    }

    @Test
    void qwenSpecialTokensComeFromItsConfigs() {
        assertThat(qwen.chatTemplate()).isInstanceOf(JinjaChatTemplate.class);
        assertThat(qwen.chatTemplate().prependsBos()).isFalse();
        assertThat(qwen.eosId()).isEqualTo(151645); // <|im_end|>, tokenizer_config.json's eos_token
        assertThat(qwen.stopTokenIds()).containsExactlyInAnyOrder(151645, 151643); // + generation_config's <|endoftext|>
        assertThat(qwen.padId()).isEqualTo(151643); // <|endoftext|>
        assertThat(qwen.encode("<|im_start|>", false)).containsExactly(151644); // special token text -> its id
        assertThat(qwen.decode(new int[] {9707, 151645})).isEqualTo("Hello"); // the end token is dropped from text
    }

    @Test
    void aCheckpointKeepsTheTemplateAndSpecialTokens(@TempDir Path dir) throws Exception {
        qwen.saveTo(dir);
        assertThat(dir.resolve("tokenizer_config.json")).exists();
        assertThat(dir.resolve("generation_config.json")).exists();
        try (HuggingFaceTextTokenizer copy = HuggingFaceTextTokenizer.load(dir.resolve("tokenizer.json"), 151643, 151645, 151936)) {
            List<ChatMessage> conversation = List.of(ChatMessage.user("Hi"));
            assertThat(copy.chatTemplate().prompt(conversation)).isEqualTo(qwen.chatTemplate().prompt(conversation));
            assertThat(copy.stopTokenIds()).isEqualTo(qwen.stopTokenIds());
        }
        assertThat(ModelTemplates.of(dir, null).prompt(List.of(ChatMessage.user("Hi"))))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void aBaseModelWithoutTemplateGetsThePlainTemplateWithBos() throws Exception {
        Path dir = SharedData.dir().resolve("data/models/tinystories-656k-hf");
        try (HuggingFaceTextTokenizer t = HuggingFaceTextTokenizer.load(dir.resolve("tokenizer.json"), 1, 2, 2048)) {
            assertThat(t.chatTemplate()).isSameAs(PlainChatTemplate.INSTANCE);
            assertThat(t.eosId()).isEqualTo(2); // <|end_story|>
            assertThat(t.stopTokenIds()).containsExactly(2);
            assertThat(t.padId()).isEqualTo(0); // <unk>
            int[] ids = t.encode(t.chatTemplate().prompt(ChatMessage.userPrompt("Once upon a time")));
            assertThat(ids[0]).isEqualTo(1);
            assertThat(java.util.Arrays.copyOfRange(ids, 1, ids.length)).containsExactly(t.encode("Once upon a time", false));
        }
        assertThat(ModelTemplates.of(SharedData.stories260kModel(), SharedData.stories260kTokenizer())).isSameAs(PlainChatTemplate.INSTANCE);
    }

    @Test
    void enableThinkingFalseOpensAnEmptyThinkBlock() {
        String rendered = qwen.chatTemplate().render(List.of(ChatMessage.user("Hi")), true, Map.of("enable_thinking", false));
        assertThat(rendered).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    @Test
    void raiseExceptionInATemplateIsAnErrorWithItsMessage() {
        JinjaChatTemplate template = new JinjaChatTemplate(
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}ok",
                Map.of());
        assertThat(template.render(List.of(ChatMessage.user("x")), true, Map.of())).isEqualTo("ok");
        assertThatThrownBy(() -> template.render(List.of(ChatMessage.assistant("x")), true, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversations must start with a user turn");
    }

    @Test
    void jinja2FeaturesChatTemplatesUse() {
        JinjaChatTemplate template = new JinjaChatTemplate("""
                {%- for m in messages %}
                    {%- if loop.index0 == 2 %}{% break %}{% endif %}
                    {{- m.content.split('/')[-1].strip() ~ '|' }}
                {%- endfor %}
                {{- {"a": [1, "é\\n"], "b": none} | tojson }}
                {{- ' ' + 'x--y'.rstrip('-y') + ('yes' if 'abc'.startswith(('z', 'a')) else 'no') }}
                {{- ' ' + bos_token }}
                """, Map.of("bos_token", "<s>"));
        String out = template.render(List.of(ChatMessage.user("a/ b "), ChatMessage.user("c/d"), ChatMessage.user("e")),
                false, Map.of());
        assertThat(out).isEqualTo("b|d|{\"a\": [1, \"é\\n\"], \"b\": null} xyes <s>");
    }

    @Test
    void plainTemplateKeepsASingleUserTurnAndWritesOtherConversationsAsTranscripts() {
        ChatTemplate plain = PlainChatTemplate.INSTANCE;
        assertThat(plain.prompt(List.of(ChatMessage.user("Once upon a time")))).isEqualTo("Once upon a time");
        assertThat(plain.prompt(List.of(new ChatMessage("system", "Be kind."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello!"), ChatMessage.user("How are you?"))))
                .isEqualTo("\n\nSystem: Be kind.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: How are you?\n\nAssistant:");
        assertThat(plain.prependsBos()).isTrue();
    }
}
