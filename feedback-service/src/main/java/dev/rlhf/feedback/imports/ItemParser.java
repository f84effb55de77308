package dev.rlhf.feedback.imports;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.imports.ImportItem.ImportedResponse;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.Turn;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Turns one NDJSON line of a format into import items, or rejects it with a message naming the field. */
final class ItemParser {

    static final String HH_MODEL = "hh-rlhf";
    static final String OASST_MODEL = "oasst";
    /** The width of responses.model and prompts.source_ref. */
    static final int MAX_NAME_CHARS = 200;
    /** More responses than this on one line is surely a mistake (tasks show at most 16). */
    static final int MAX_RESPONSES_PER_LINE = 100;

    private final JsonMapper json;
    private final int maxTextChars;

    ItemParser(JsonMapper json, int maxTextChars) {
        this.json = json;
        this.maxTextChars = maxTextChars;
    }

    List<ImportItem> parse(ImportFormat format, String line) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JacksonException e) {
            throw new InvalidLineException("invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidLineException("the line is not a JSON object");
        }
        return switch (format) {
            case PROMPTS -> List.of(ImportItem.promptOnly(prompt(node)));
            case RESPONSES -> List.of(responses(node));
            case PAIRS -> List.of(pairs(node));
            case HH -> List.of(hh(node));
            case OASST -> oasst(node);
        };
    }

    private ImportItem responses(JsonNode node) {
        Conversation prompt = prompt(node);
        JsonNode entries = required(node, "responses");
        if (!entries.isArray()) {
            throw new InvalidLineException("\"responses\" must be an array");
        }
        if (entries.size() > MAX_RESPONSES_PER_LINE) {
            throw new InvalidLineException("\"responses\" has " + entries.size() + " entries; at most " + MAX_RESPONSES_PER_LINE);
        }
        List<ImportedResponse> responses = new ArrayList<>();
        Set<String> texts = new LinkedHashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            String field = "responses[" + i + "]";
            ImportedResponse response;
            if (entry.isString()) {
                response = new ImportedResponse(notBlank(checkedText(entry.stringValue(), field), field), null);
            } else if (entry.isObject()) {
                response = new ImportedResponse(notBlank(checkedText(requiredString(entry, "text", field + ".text"), field + ".text"), field + ".text"),
                        optionalName(entry, "model", field + ".model"));
            } else {
                throw new InvalidLineException("\"" + field + "\" must be an object {\"text\", \"model\"} or a string");
            }
            // The same text twice is one response.
            if (texts.add(response.text())) {
                responses.add(response);
            }
        }
        if (responses.size() < 2) {
            throw new InvalidLineException("\"responses\" needs at least 2 different texts to make a ranking task, got " + responses.size()
                    + " (use format=prompts for prompts without responses)");
        }
        return new ImportItem(prompt, null, responses, null, false);
    }

    private ImportItem pairs(JsonNode node) {
        Conversation prompt = prompt(node);
        String chosen = completion(node, "chosen");
        String rejected = completion(node, "rejected");
        if (chosen.equals(rejected)) {
            throw new InvalidLineException("\"chosen\" and \"rejected\" are the same text");
        }
        return ImportItem.preference(prompt, new ImportedResponse(chosen, null), new ImportedResponse(rejected, null));
    }

    private ImportItem hh(JsonNode node) {
        String chosen = requiredString(node, "chosen", "chosen");
        String rejected = requiredString(node, "rejected", "rejected");
        HhTranscripts.Split split = HhTranscripts.split(chosen, rejected);
        Conversation prompt = checkedConversation(split.prompt(), "prompt");
        if (split.chosen().equals(split.rejected())) {
            throw new InvalidLineException("\"chosen\" and \"rejected\" end with the same response");
        }
        return ImportItem.preference(prompt, new ImportedResponse(checkedText(split.chosen(), "chosen"), HH_MODEL),
                new ImportedResponse(checkedText(split.rejected(), "rejected"), HH_MODEL));
    }

    private List<ImportItem> oasst(JsonNode node) {
        List<ImportItem> items = new ArrayList<>();
        for (OasstTrees.RankedGroup group : OasstTrees.rankedGroups(node)) {
            String where = group.messageId() == null ? "a message" : "message " + group.messageId();
            Conversation prompt = checkedConversation(group.conversation(), "conversation of " + where);
            List<ImportedResponse> responses = group.replies().stream()
                    .map(reply -> new ImportedResponse(checkedText(reply.text(), "reply to " + where), OASST_MODEL)).toList();
            String sourceRef = group.messageId() == null ? null : checkedName(group.messageId(), "message_id");
            items.add(new ImportItem(prompt, sourceRef, responses, group.rankingGroups(), false));
        }
        return items;
    }

    /** The prompt: {@code "prompt"} as a string or a messages array, or a {@code "messages"} / {@code "conversation"} array. */
    private Conversation prompt(JsonNode node) {
        for (String field : List.of("prompt", "messages", "conversation")) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                continue;
            }
            if (value.isString()) {
                return checkedConversation(List.of(new Turn(Turn.USER, value.stringValue())), field);
            }
            if (value.isArray()) {
                List<Turn> turns = messages(value, field);
                if (turns.getLast().role().equals(Turn.ASSISTANT)) {
                    throw new InvalidLineException("\"" + field + "\" must end with a user turn (the prompt to answer), not an assistant turn");
                }
                return checkedConversation(turns, field);
            }
            throw new InvalidLineException("\"" + field + "\" must be a string or an array of {\"role\", \"content\"} messages");
        }
        throw new InvalidLineException("\"prompt\" is missing");
    }

    /** A response: a string, or (TRL's conversational format) an array holding one assistant message. */
    private String completion(JsonNode node, String field) {
        JsonNode value = required(node, field);
        if (value.isString()) {
            return checkedText(value.stringValue(), field);
        }
        if (value.isArray()) {
            List<Turn> turns = messages(value, field);
            if (turns.size() != 1 || !turns.getFirst().role().equals(Turn.ASSISTANT)) {
                throw new InvalidLineException("\"" + field + "\" must be a string or an array of exactly one assistant message");
            }
            return checkedText(turns.getFirst().content(), field);
        }
        throw new InvalidLineException("\"" + field + "\" must be a string or an array of exactly one assistant message");
    }

    private static List<Turn> messages(JsonNode array, String field) {
        if (array.isEmpty()) {
            throw new InvalidLineException("\"" + field + "\" is empty");
        }
        List<Turn> turns = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            String path = field + "[" + i + "]";
            if (!message.isObject()) {
                throw new InvalidLineException("\"" + path + "\" must be an object {\"role\", \"content\"}");
            }
            String role = requiredString(message, "role", path + ".role");
            turns.add(new Turn(role(role, path + ".role"), requiredString(message, "content", path + ".content")));
        }
        return turns;
    }

    private static String role(String role, String path) {
        return switch (role) {
            case "user", "human", "prompter" -> Turn.USER;
            case "assistant" -> Turn.ASSISTANT;
            case "system" -> Turn.SYSTEM;
            default -> throw new InvalidLineException("\"" + path + "\" must be user, assistant or system, not \"" + role + "\"");
        };
    }

    /**
     * The prompt's turns, checked: storable, at most {@code maxTextChars} together, and the turn to
     * answer (the last) not blank. A conversation's earlier turns may be empty (a system turn, an
     * assistant turn that said nothing), but a prompt that asks nothing is no task.
     */
    private Conversation checkedConversation(List<Turn> turns, String field) {
        if (!turns.isEmpty() && turns.getLast().content().isBlank()) {
            throw new InvalidLineException("\"" + field + "\" is blank" + (turns.size() > 1 ? " (its last turn, the one to answer)" : ""));
        }
        long chars = 0;
        for (Turn turn : turns) {
            chars += turn.content().length();
            checkStorable(turn.content(), field);
        }
        if (chars > maxTextChars) {
            throw new InvalidLineException("\"" + field + "\" exceeds " + maxTextChars + " characters (" + chars + ")");
        }
        return new Conversation(turns);
    }

    private String checkedText(String text, String field) {
        if (text.length() > maxTextChars) {
            throw new InvalidLineException("\"" + field + "\" exceeds " + maxTextChars + " characters (" + text.length() + ")");
        }
        checkStorable(text, field);
        return text;
    }

    /**
     * A response shown for ranking must say something. Only {@code responses} lines are held to this: in the
     * preference formats ({@code pairs}, {@code hh}, {@code oasst}) an empty response is the dataset's own,
     * judged answer (HH-RLHF's harmless-base test set prefers an empty reply four times) and is kept.
     */
    private static String notBlank(String text, String field) {
        if (text.isBlank()) {
            throw new InvalidLineException("\"" + field + "\" is blank");
        }
        return text;
    }

    private static String optionalName(JsonNode node, String name, String field) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw new InvalidLineException("\"" + field + "\" must be a string");
        }
        return checkedName(value.stringValue(), field);
    }

    private static String checkedName(String name, String field) {
        if (name.length() > MAX_NAME_CHARS) {
            throw new InvalidLineException("\"" + field + "\" exceeds " + MAX_NAME_CHARS + " characters");
        }
        checkStorable(name, field);
        return name;
    }

    /** The rule of {@link Inputs#storableProblem}: no NUL, no unpaired surrogate (PostgreSQL cannot store them faithfully). */
    private static void checkStorable(String text, String field) {
        String problem = Inputs.storableProblem(text);
        if (problem != null) {
            throw new InvalidLineException("\"" + field + "\" " + problem);
        }
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new InvalidLineException("\"" + field + "\" is missing");
        }
        return value;
    }

    private static String requiredString(JsonNode node, String name, String field) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            throw new InvalidLineException("\"" + field + "\" is missing");
        }
        if (!value.isString()) {
            throw new InvalidLineException("\"" + field + "\" must be a string");
        }
        return value.stringValue();
    }
}
