package dev.rlhf.trainer.align.data;

import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import dev.rlhf.trainer.chat.PromptLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Reads the annotation app's preference exports (see {@code feedback-service/README.md} and
 * {@code schemas/.../export-schemas/}): each line either a {@code pairs} line
 * ({@code {"prompt", "chosen", "rejected", ...}}) or a {@code rankings} line
 * ({@code {"prompt", "responses": [{"id", "text"}, ...], "ranking": [[id, ...], ...], ...}}); the two may
 * be mixed; or a {@code messages} line ({@code {"chosen": [turns..., assistant], "rejected": [turns..., assistant]}},
 * TRL's conversational format, optionally with the prompt apart as {@code "prompt": [turns...]}). The prompt
 * is rendered by the model's chat template ({@link PromptLines}): a line's {@code conversation} (the
 * {@code rankings} and {@code pairs} exports write it) or messages keep their turns, in preference to the
 * {@code prompt} string; a string prompt alone is one user turn. A bad line is an
 * {@link IllegalArgumentException} naming the file, the line and the field.
 */
public final class PreferenceFile {

    private PreferenceFile() {}

    /** {@link #read(Path, ChatTemplate)} with the plain template. */
    public static List<RankedResponses> read(Path file) throws IOException {
        return read(file, PlainChatTemplate.INSTANCE);
    }

    public static List<RankedResponses> read(Path file, ChatTemplate template) throws IOException {
        return JsonLines.read(file, "no pairs or rankings", node -> List.of(parse(node, template)));
    }

    /** One export line, its prompt rendered with the plain template. */
    public static RankedResponses parse(JsonNode node) {
        return parse(node, PlainChatTemplate.INSTANCE);
    }

    /** One export line (pairs, messages or rankings), its prompt rendered with {@code template}. */
    public static RankedResponses parse(JsonNode node, ChatTemplate template) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        if (node.path("chosen").isArray() || node.path("rejected").isArray()) {
            return messages(node, template);
        }
        String prompt = PromptLines.prompt(node, template);
        if (node.has("ranking") || node.has("responses")) {
            return ranking(node, prompt);
        }
        JsonNode margin = node.get("margin");
        if (margin == null || margin.isNull()) {
            return RankedResponses.pair(prompt, text(node, "chosen"), text(node, "rejected"));
        }
        if (!margin.isNumber() || !Double.isFinite(margin.asDouble())) {
            throw new IllegalArgumentException("\"margin\" must be a number");
        }
        return RankedResponses.pair(prompt, text(node, "chosen"), text(node, "rejected"), margin.asDouble());
    }

    /** A {@code messages} line: both conversations share the prompt turns and end with the assistant turn compared. */
    private static RankedResponses messages(JsonNode node, ChatTemplate template) {
        List<ChatMessage> chosen = ChatMessage.parse(node.get("chosen"), "chosen");
        List<ChatMessage> rejected = ChatMessage.parse(node.get("rejected"), "rejected");
        List<ChatMessage> prompt;
        if (node.has("prompt")) { // TRL's explicit prompt: chosen/rejected are the responses alone
            prompt = PromptLines.conversation(node);
            chosen = concat(prompt, chosen);
            rejected = concat(prompt, rejected);
        }
        ChatMessage.PromptAndResponse c = ChatMessage.splitLastAssistant(chosen, "chosen");
        ChatMessage.PromptAndResponse r = ChatMessage.splitLastAssistant(rejected, "rejected");
        if (!c.prompt().equals(r.prompt())) {
            throw new IllegalArgumentException("\"chosen\" and \"rejected\" differ before their last assistant turn (the prompt)");
        }
        String rendered = template.render(c.prompt(), true, PromptLines.templateKwargs(node));
        return RankedResponses.pair(rendered, c.response(), r.response());
    }

    private static List<ChatMessage> concat(List<ChatMessage> a, List<ChatMessage> b) {
        List<ChatMessage> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static RankedResponses ranking(JsonNode node, String prompt) {
        JsonNode responses = node.get("responses");
        JsonNode ranking = node.get("ranking");
        if (responses == null || !responses.isArray() || responses.isEmpty()) {
            throw new IllegalArgumentException("a rankings line needs a non-empty array \"responses\"");
        }
        if (ranking == null || !ranking.isArray() || ranking.isEmpty()) {
            throw new IllegalArgumentException("a rankings line needs \"ranking\": tie groups of response ids, best first");
        }
        List<String> texts = new ArrayList<>();
        Map<String, Integer> indexById = new HashMap<>();
        for (JsonNode response : responses) {
            String id = text(response, "id");
            if (indexById.putIfAbsent(id, texts.size()) != null) {
                throw new IllegalArgumentException("response id " + id + " appears twice in \"responses\"");
            }
            texts.add(text(response, "text"));
        }
        List<int[]> groups = new ArrayList<>();
        for (JsonNode group : ranking) {
            if (!group.isArray() || group.isEmpty()) {
                throw new IllegalArgumentException("\"ranking\" must be a list of non-empty lists of response ids");
            }
            int[] indices = new int[group.size()];
            for (int i = 0; i < indices.length; i++) {
                Integer index = indexById.get(group.get(i).asString(""));
                if (index == null) {
                    throw new IllegalArgumentException("\"ranking\" names response " + group.get(i)
                            + ", which is not among \"responses\"");
                }
                indices[i] = index;
            }
            groups.add(indices);
        }
        return new RankedResponses(prompt, texts, new Ranking(groups), feedback(node, indexById));
    }

    /** A rankings line's {@code feedback_mode}, {@code strength}, {@code ratings} and {@code labels}, by response index. */
    private static RankedResponses.Feedback feedback(JsonNode node, Map<String, Integer> indexById) {
        JsonNode mode = node.get("feedback_mode");
        if (mode != null && !mode.isNull() && !mode.isString()) {
            throw new IllegalArgumentException("\"feedback_mode\" must be a string");
        }
        Integer strength = null;
        JsonNode s = node.get("strength");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || s.asInt() < 0 || s.asInt() > 2) {
                throw new IllegalArgumentException("\"strength\" must be 0, 1 or 2");
            }
            strength = s.asInt();
        }
        Map<Integer, Integer> ratings = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : byResponse(node, "ratings", indexById).entrySet()) {
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || v.asInt() < 1 || v.asInt() > 7) {
                throw new IllegalArgumentException("\"ratings\" values must be integers 1..7, got " + v + " for " + e.getKey());
            }
            ratings.put(indexById.get(e.getKey()), v.asInt());
        }
        Map<Integer, Boolean> labels = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : byResponse(node, "labels", indexById).entrySet()) {
            if (!e.getValue().isBoolean()) {
                throw new IllegalArgumentException("\"labels\" values must be true or false, got " + e.getValue() + " for " + e.getKey());
            }
            labels.put(indexById.get(e.getKey()), e.getValue().asBoolean());
        }
        FeedbackMode feedbackMode;
        try {
            feedbackMode = FeedbackMode.fromWire(mode == null || mode.isNull() ? null : mode.asString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"feedback_mode\": " + e.getMessage());
        }
        return new RankedResponses.Feedback(feedbackMode, strength, ratings, labels, null);
    }

    /** The object {@code field} of response id to value; every id must be among the line's responses. */
    private static Map<String, JsonNode> byResponse(JsonNode node, String field, Map<String, Integer> indexById) {
        JsonNode object = node.get(field);
        if (object == null || object.isNull()) {
            return Map.of();
        }
        if (!object.isObject()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an object of response id to value");
        }
        Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            if (!indexById.containsKey(e.getKey())) {
                throw new IllegalArgumentException("\"" + field + "\" names response " + e.getKey() + ", which is not among \"responses\"");
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isString()) {
            throw new IllegalArgumentException("needs a string field \"" + field + "\"");
        }
        return value.asString();
    }
}
