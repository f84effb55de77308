package dev.rlhf.feedback.imports;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.rlhf.feedback.prompt.Turn;
import tools.jackson.databind.JsonNode;

/**
 * Walks an OpenAssistant message tree ({@code {"message_tree_id", "prompt": {message}}}, each message
 * with {@code text}, {@code role} prompter|assistant and {@code replies}) and finds every prompter
 * message with at least two assistant replies carrying a human consensus {@code rank} (0 = best).
 *
 * <p>Each such group's prompt is the path from the root to that message. Only ranked replies are kept:
 * an unranked reply was never compared by people, and a task must be ranked completely. Replies
 * sharing a rank form a tie group. The whole tree is searched, below unranked replies too.
 */
public final class OasstTrees {

    private OasstTrees() {
    }

    public record RankedReply(String messageId, String text, int rank) {
    }

    /** @param replies the ranked assistant replies, best rank first */
    public record RankedGroup(String messageId, List<Turn> conversation, List<RankedReply> replies) {

        /** Tie groups of indices into {@link #replies}, best first. */
        public List<List<Integer>> rankingGroups() {
            List<List<Integer>> groups = new ArrayList<>();
            for (int i = 0; i < replies.size(); i++) {
                if (i == 0 || replies.get(i).rank() != replies.get(i - 1).rank()) {
                    groups.add(new ArrayList<>());
                }
                groups.getLast().add(i);
            }
            return groups;
        }
    }

    private record Pending(JsonNode message, String path, List<Turn> parents) {
    }

    public static List<RankedGroup> rankedGroups(JsonNode tree) {
        JsonNode root = tree.get("prompt");
        if (root == null || root.isNull()) {
            throw new InvalidLineException("\"prompt\" is missing (expected an OpenAssistant tree: {\"message_tree_id\", \"prompt\": {...}})");
        }
        List<RankedGroup> groups = new ArrayList<>();
        Deque<Pending> stack = new ArrayDeque<>();
        stack.push(new Pending(root, "prompt", List.of()));
        while (!stack.isEmpty()) {
            Pending pending = stack.pop();
            JsonNode message = pending.message();
            if (!message.isObject()) {
                throw new InvalidLineException("\"" + pending.path() + "\" must be a message object");
            }
            List<Turn> conversation = new ArrayList<>(pending.parents());
            conversation.add(new Turn(role(message, pending.path()), text(message, pending.path())));
            JsonNode replies = message.path("replies");
            if (!replies.isMissingNode() && !replies.isNull() && !replies.isArray()) {
                throw new InvalidLineException("\"" + pending.path() + ".replies\" must be an array");
            }
            if (conversation.getLast().role().equals(Turn.USER)) {
                List<RankedReply> ranked = rankedAssistantReplies(replies, pending.path());
                if (ranked.size() >= 2) {
                    groups.add(new RankedGroup(stringOrNull(message.get("message_id")), List.copyOf(conversation), ranked));
                }
            }
            for (int i = replies.size() - 1; i >= 0; i--) {
                stack.push(new Pending(replies.get(i), pending.path() + ".replies[" + i + "]", conversation));
            }
        }
        return groups;
    }

    private static List<RankedReply> rankedAssistantReplies(JsonNode replies, String path) {
        List<RankedReply> ranked = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            JsonNode reply = replies.get(i);
            JsonNode rank = reply.path("rank");
            if (!"assistant".equals(stringOrNull(reply.get("role"))) || rank.isMissingNode() || rank.isNull()) {
                continue;
            }
            String replyPath = path + ".replies[" + i + "]";
            if (!rank.isIntegralNumber() || !rank.canConvertToInt() || rank.intValue() < 0) {
                throw new InvalidLineException("\"" + replyPath + ".rank\" must be a whole number >= 0");
            }
            ranked.add(new RankedReply(stringOrNull(reply.get("message_id")), text(reply, replyPath), rank.intValue()));
        }
        ranked.sort(Comparator.comparingInt(RankedReply::rank));
        // Identical texts are one response; keep its best rank.
        Set<String> seen = new HashSet<>();
        ranked.removeIf(reply -> !seen.add(reply.text()));
        return ranked;
    }

    private static String role(JsonNode message, String path) {
        String role = stringOrNull(message.get("role"));
        if (role == null) {
            throw new InvalidLineException("\"" + path + ".role\" is " + (message.get("role") == null ? "missing" : "not a string"));
        }
        return switch (role) {
            case "prompter" -> Turn.USER;
            case "assistant" -> Turn.ASSISTANT;
            default -> throw new InvalidLineException("\"" + path + ".role\" must be prompter or assistant, not \"" + role + "\"");
        };
    }

    private static String stringOrNull(JsonNode node) {
        return node != null && node.isString() ? node.stringValue() : null;
    }

    private static String text(JsonNode message, String path) {
        JsonNode text = message.get("text");
        if (text == null || text.isNull()) {
            throw new InvalidLineException("\"" + path + ".text\" is missing");
        }
        if (!text.isString()) {
            throw new InvalidLineException("\"" + path + ".text\" must be a string");
        }
        return text.stringValue();
    }
}
