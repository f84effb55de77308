package dev.rlhf.trainer.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.schemas.events.Turn;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.PromptLines;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The same prompt reaches the reward model as the same token ids whether training comes from
 * {@code serve} (a {@code RankingSubmitted} event as the annotation app builds it, stored by the
 * {@link PreferenceStore}; a {@code SampleRequested} conversation as the loop keeps it) or from an
 * export of the same ranking ({@code messages}, {@code rankings}, {@code pairs} with its {@code conversation},
 * and, for a model without a chat template, a {@code pairs} line with only its prompt text, the feedback
 * service's own {@code Conversation.asText}); the {@code sft} and {@code kto} lines' {@code conversation}
 * gives the same prompt. Checked for the plain template (stories260K) and a real chat template (Qwen3's,
 * tokenizer files only).
 */
class PromptParityTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** An OASST/HH-style multi-turn prompt with a system turn, as the feedback service stores it. */
    static final List<dev.rlhf.feedback.prompt.Turn> TURNS = List.of(
            new dev.rlhf.feedback.prompt.Turn("system", "You are a storyteller."),
            new dev.rlhf.feedback.prompt.Turn("user", "Tell me about a dog."),
            new dev.rlhf.feedback.prompt.Turn("assistant", "Once upon a time, there was a dog named Max."),
            new dev.rlhf.feedback.prompt.Turn("user", "What did Max do?"));
    static final String CHOSEN = "Max ran to the park and played with a ball.";
    static final String REJECTED = "He sat.";

    @Test
    void plainTemplateServeAndEveryExportGiveTheRewardModelTheSameIds() throws Exception {
        try (var loaded = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), ai.djl.Device.cpu())) {
            List<List<int[]>> all = idsOfEveryPath(loaded.tokenizer(), true);
            assertThat(all.getFirst().getFirst()[0]).isEqualTo(1); // BOS
        }
    }

    @Test
    void qwenChatTemplateServeAndStructuredExportsGiveTheRewardModelTheSameIds() throws Exception {
        try (HuggingFaceTextTokenizer qwen = HuggingFaceTextTokenizer.load(
                SharedData.dir().resolve("data/models/tiny-random-qwen3/tokenizer.json"), 151643, 151645, 151936)) {
            List<List<int[]>> all = idsOfEveryPath(qwen, false);
            int[] chosen = all.getFirst().getFirst();
            assertThat(chosen[0]).isEqualTo(151644); // <|im_start|> of the system turn, no BOS
            assertThat(chosen[chosen.length - 1]).isEqualTo(151645); // the response closed by <|im_end|>
            String text = qwen.decode(chosen);
            assertThat(text).startsWith("system\nYou are a storyteller.").contains("assistant\n" + CHOSEN);

            // Without its conversation a pairs line is the transcript as one user turn: other ids under a chat template.
            RankedResponses stringOnly = PreferenceFile.parse(pairsLine(false), qwen.chatTemplate());
            assertThat(TokenizedResponse.of(stringOnly.prompt(), CHOSEN, qwen, 4096).ids()).isNotEqualTo(chosen);
        }
    }

    @Test
    void qwenChatTemplateRendersTheSftAndKtoExportsConversation(@TempDir Path dir) throws Exception {
        try (HuggingFaceTextTokenizer qwen = HuggingFaceTextTokenizer.load(
                SharedData.dir().resolve("data/models/tiny-random-qwen3/tokenizer.json"), 151643, 151645, 151936)) {
            var template = qwen.chatTemplate();
            String servePrompt = template.render(new Conversation(TURNS).turns().stream()
                    .map(t -> new ChatMessage(t.role(), t.content())).toList(), true, java.util.Map.of());
            assertThat(servePrompt).startsWith("<|im_start|>system\nYou are a storyteller.<|im_end|>\n")
                    .endsWith("<|im_start|>user\nWhat did Max do?<|im_end|>\n<|im_start|>assistant\n");

            // an sft export line as the feedback service writes it: prompt text, completion, and the conversation
            ObjectNode sft = JSON.createObjectNode();
            sft.put("prompt", new Conversation(TURNS).asText());
            sft.put("completion", CHOSEN);
            turns(sft.putArray("conversation"), null);
            sft.put("prompt_id", "q").put("source", "rewrite");
            Path file = dir.resolve("sft.jsonl");
            Files.writeString(file, JSON.writeValueAsString(sft) + "\n");
            List<SftExample> examples = SftExample.readJsonl(file, template);
            assertThat(examples).containsExactly(new SftExample(servePrompt, CHOSEN));

            // a kto line ({"prompt", "completion", "label"}) with its conversation: the same prompt
            ObjectNode kto = sft.deepCopy().put("label", true);
            assertThat(PromptLines.prompt(kto, template)).isEqualTo(servePrompt);
        }
    }

    /** A {@code pairs} export line of the ranking, with or without its {@code conversation}. */
    static JsonNode pairsLine(boolean withConversation) {
        ObjectNode pairs = JSON.createObjectNode().put("prompt", new Conversation(TURNS).asText()).put("chosen", CHOSEN).put("rejected", REJECTED);
        if (withConversation) {
            turns(pairs.putArray("conversation"), null);
        }
        return pairs.put("prompt_id", "q").put("source", "annotator");
    }

    /**
     * The same on the loaded tiny-random-qwen3 model with a value head initialised as {@code reward} does: every path's (prompt, response)
     * texts, tokenized as the reward trainer and scorer do, get the same reward; a different response does not.
     */
    @Test
    void qwenChatTemplatePathsGiveTheSameRewardScoreOnTheLoadedModel() throws Exception {
        try (var loaded = ModelLoader.load(SharedData.dir().resolve("data/models/tiny-random-qwen3"), null, ai.djl.Device.cpu())) {
            idsOfEveryPath(loaded.tokenizer(), false);
            var model = loaded.model();
            dev.rlhf.trainer.align.reward.RewardTrainer.initialiseValueHead(model, 7); // as the reward command does
            List<RankedResponses> paths = everyPath(loaded.tokenizer().chatTemplate(), false);
            List<double[]> scores = paths.stream().map(r -> dev.rlhf.trainer.align.reward.RewardScorer.rewards(model, loaded.tokenizer(),
                    List.of(r.prompt(), r.prompt()), r.responses(), 4096, 2)).toList();
            for (double[] s : scores) {
                assertThat(s).containsExactly(scores.getFirst());
            }
            assertThat(scores.getFirst()[0]).isNotEqualTo(scores.getFirst()[1]);
            assertThat(Double.isFinite(scores.getFirst()[0])).isTrue();
            // and the plain template's prompt (the transcript as one user turn) would score differently
            RankedResponses plain = PreferenceFile.parse(JSON.createObjectNode().put("prompt", new Conversation(TURNS).asText())
                    .put("chosen", CHOSEN).put("rejected", REJECTED), loaded.tokenizer().chatTemplate());
            double[] plainScores = dev.rlhf.trainer.align.reward.RewardScorer.rewards(model, loaded.tokenizer(),
                    List.of(plain.prompt(), plain.prompt()), plain.responses(), 4096, 2);
            assertThat(plainScores[0]).isNotEqualTo(scores.getFirst()[0]);
        }
    }

    /** Token ids (chosen, rejected) by each path; asserts they are all equal and returns them. */
    static List<List<int[]>> idsOfEveryPath(TextTokenizer tokenizer, boolean withPairsExport) {
        List<RankedResponses> paths = everyPath(tokenizer.chatTemplate(), withPairsExport);
        List<List<int[]>> ids = paths.stream().map(r -> List.of(
                TokenizedResponse.of(r.prompt(), r.responses().get(0), tokenizer, 4096).ids(),
                TokenizedResponse.of(r.prompt(), r.responses().get(1), tokenizer, 4096).ids())).toList();
        for (List<int[]> path : ids) {
            assertThat(path.get(0)).containsExactly(ids.getFirst().get(0));
            assertThat(path.get(1)).containsExactly(ids.getFirst().get(1));
        }
        assertThat(paths).allSatisfy(r -> assertThat(r.responses()).containsExactly(CHOSEN, REJECTED));
        return ids;
    }

    /** The ranking as serve stores it and as each export has it (pairs only where asked), read with {@code template}. */
    static List<RankedResponses> everyPath(dev.rlhf.trainer.chat.ChatTemplate template, boolean withPairsExport) {
        Conversation conversation = new Conversation(TURNS);

        // serve: the event as SubmissionService builds it, stored as PreferenceStore stores it
        RankingSubmitted event = RankingSubmitted.newBuilder()
                .setEventId(UUID.randomUUID()).setProjectId("p").setPromptId("q")
                .setPrompt(conversation.asText())
                .setResponses(List.of(RankedResponse.newBuilder().setId("a").setText(CHOSEN).build(),
                        RankedResponse.newBuilder().setId("b").setText(REJECTED).build()))
                .setRanking(List.of(List.of("a"), List.of("b")))
                .setAnnotatorId("ann").setSubmittedAt(Instant.now()).setDurationMs(1000)
                .setConversation(TURNS.stream().map(t -> Turn.newBuilder().setRole(t.role()).setContent(t.content()).build()).toList())
                .build();
        RankedResponses serve = PreferenceFile.parse(PreferenceStore.line(event), template);

        // the messages export: {"chosen": [turns..., assistant], "rejected": [...]}
        ObjectNode messages = JSON.createObjectNode();
        turns(messages.putArray("chosen"), CHOSEN);
        turns(messages.putArray("rejected"), REJECTED);
        RankedResponses messagesExport = PreferenceFile.parse(messages, template);

        // the rankings export: prompt text and its conversation
        ObjectNode rankings = JSON.createObjectNode();
        rankings.put("prompt", conversation.asText());
        turns(rankings.putArray("conversation"), null);
        ArrayNode responses = rankings.putArray("responses");
        responses.addObject().put("id", "a").put("text", CHOSEN);
        responses.addObject().put("id", "b").put("text", REJECTED);
        ArrayNode ranking = rankings.putArray("ranking");
        ranking.addArray().add("a");
        ranking.addArray().add("b");
        RankedResponses rankingsExport = PreferenceFile.parse(rankings, template);

        // a sample request of the same prompt, as the loop keeps it (SampleRequest) and renders it for sampling
        SampleRequest request = SampleRequest.of(SampleRequested.newBuilder().setEventId(UUID.randomUUID()).setProjectId("p")
                .setPromptId("q").setPrompt(event.getConversation()).setNumSamples(2).build());
        assertThat(Sampling.render(template, request.messages())).isEqualTo(serve.prompt());

        // the pairs export: prompt text, chosen, rejected, and the prompt's conversation
        RankedResponses pairsExport = PreferenceFile.parse(pairsLine(true), template);

        List<RankedResponses> paths = new java.util.ArrayList<>(List.of(serve, messagesExport, rankingsExport, pairsExport));
        if (withPairsExport) {
            paths.add(PreferenceFile.parse(pairsLine(false), template));
        }
        return paths;
    }

    private static void turns(ArrayNode array, String assistant) {
        TURNS.forEach(t -> array.addObject().put("role", t.role()).put("content", t.content()));
        if (assistant != null) {
            array.addObject().put("role", "assistant").put("content", assistant);
        }
    }
}
