package dev.rlhf.feedback.export;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.ranking.Grades;
import tools.jackson.core.io.SerializedString;

/**
 * One prompt with its responses and the rankings of it that passed the filters: the unit the export
 * streams in. Only one is held at a time, so memory is bounded by the largest prompt, not the dataset.
 */
final class PromptGroup {

    /** A response; its id and text are pre-encoded once, as every pair line of the prompt repeats them. */
    record ResponseRow(UUID id, String text, String model, String policyVersion, SerializedString idJson, SerializedString textJson) {
        ResponseRow(UUID id, String text, String model, String policyVersion) {
            this(id, text, model, policyVersion, new SerializedString(id.toString()), new SerializedString(text));
        }
    }

    /** A ranking as stored: its tie groups and the grades they were derived from ({@link Grades#RANKING} for a ranking). */
    record RankingRow(UUID id, UUID taskId, UUID annotatorId, String annotator, String source, List<List<UUID>> groups,
                      Map<String, List<String>> flags, boolean noneAcceptable, String rewrite, Long durationMs, Instant submittedAt,
                      Grades grades) {
    }

    final UUID promptId;
    final Conversation conversation;
    final Map<UUID, ResponseRow> responses = new LinkedHashMap<>();
    final List<RankingRow> rankings = new ArrayList<>();
    private String promptText;
    private SerializedString promptTextJson;
    private SerializedString promptIdJson;
    private List<SerializedString[]> conversationJson;

    PromptGroup(UUID promptId, Conversation conversation) {
        this.promptId = promptId;
        this.conversation = conversation;
    }

    List<List<List<UUID>>> rankingGroups() {
        return rankings.stream().map(RankingRow::groups).toList();
    }

    /** The prompt as one text ({@link Conversation#asText()}), as TRL's string (non-conversational) formats read it. */
    String promptText() {
        if (promptText == null) {
            promptText = conversation.asText();
        }
        return promptText;
    }

    /** {@link #promptText()} and the prompt id, encoded once per prompt. */
    SerializedString promptTextJson() {
        if (promptTextJson == null) {
            promptTextJson = new SerializedString(promptText());
            promptIdJson = new SerializedString(promptId.toString());
        }
        return promptTextJson;
    }

    /** The conversation's turns as pre-encoded {role, content} pairs, encoded once per prompt. */
    List<SerializedString[]> conversationJson() {
        if (conversationJson == null) {
            conversationJson = conversation.turns().stream()
                    .map(t -> new SerializedString[] {new SerializedString(t.role()), new SerializedString(t.content())})
                    .toList();
        }
        return conversationJson;
    }

    SerializedString promptIdJson() {
        promptTextJson();
        return promptIdJson;
    }
}
