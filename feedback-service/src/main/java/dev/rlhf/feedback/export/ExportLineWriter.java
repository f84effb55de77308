package dev.rlhf.feedback.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.rlhf.feedback.consensus.ConsensusSupport;
import dev.rlhf.feedback.consensus.GradedConsensus;
import dev.rlhf.feedback.consensus.PairwiseAgreement;
import dev.rlhf.feedback.consensus.Rate;
import dev.rlhf.feedback.prompt.Turn;
import dev.rlhf.feedback.ranking.Grades;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.GradedFeedback;
import dev.rlhf.schemas.ranking.TieGroups;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.io.SerializedString;

/**
 * Writes the NDJSON lines of one prompt group in one format, straight to a JSON generator (no
 * intermediate objects per line). Field names are the export contract; the JSON Schemas in
 * {@code schemas/src/main/resources/export-schemas/} describe them.
 */
final class ExportLineWriter {

    private static final SerializedString PROMPT = new SerializedString("prompt");
    private static final SerializedString CHOSEN = new SerializedString("chosen");
    private static final SerializedString REJECTED = new SerializedString("rejected");
    private static final SerializedString PROMPT_ID = new SerializedString("prompt_id");
    private static final SerializedString CHOSEN_ID = new SerializedString("chosen_id");
    private static final SerializedString REJECTED_ID = new SerializedString("rejected_id");
    private static final SerializedString CONVERSATION = new SerializedString("conversation");
    private static final SerializedString ROLE = new SerializedString("role");
    private static final SerializedString CONTENT = new SerializedString("content");
    private static final SerializedString COMPLETION = new SerializedString("completion");

    private final JsonGenerator out;
    private final ExportRequest request;
    private long lines;

    ExportLineWriter(JsonGenerator out, ExportRequest request) {
        this.out = out;
        this.request = request;
    }

    long lines() {
        return lines;
    }

    /** The consensus of a prompt's (filtered) rankings, how much they back it, and its graded figures in {@code mode}. */
    record Consensus(List<List<UUID>> ranking, Rate support, FeedbackMode mode, GradedConsensus.Result<UUID> graded) {
    }

    void write(PromptGroup group, Consensus consensus) {
        switch (request.format()) {
            case PAIRS, MESSAGES -> {
                if (request.consensusOnly()) {
                    consensusPairs(group, consensus);
                } else {
                    rankingPairs(group);
                }
            }
            case RANKINGS -> group.rankings.forEach(r -> ranking(group, r));
            case CONSENSUS -> consensusLine(group, consensus);
            case SFT -> group.rankings.stream().filter(r -> r.rewrite() != null && !r.rewrite().isBlank()).forEach(r -> sft(group, r));
            case KTO -> group.rankings.forEach(r -> kto(group, r));
        }
    }

    private void rankingPairs(PromptGroup group) {
        for (PromptGroup.RankingRow r : group.rankings) {
            for (TieGroups.OrderedPair<UUID> p : TieGroups.strictPairs(r.groups())) {
                PromptGroup.ResponseRow chosen = group.responses.get(p.better());
                PromptGroup.ResponseRow rejected = group.responses.get(p.worse());
                startPair(group, chosen, rejected);
                out.writeStringProperty("ranking_id", r.id().toString());
                string("task_id", r.taskId());
                out.writeStringProperty("annotator", r.annotator());
                string("annotator_id", r.annotatorId());
                out.writeStringProperty("source", r.source());
                out.writeStringProperty("submitted_at", r.submittedAt().toString());
                // Llama 2's margin (TRL's RewardTrainer and OpenRLHF read this key); absent where the mode grades nothing
                Double margin = GradedFeedback.margin(r.grades().mode(), r.grades().strength(), r.grades().ratings(), p.better(), p.worse());
                if (margin != null) {
                    out.writeNumberProperty("margin", margin);
                }
                endLine();
            }
        }
    }

    private void consensusPairs(PromptGroup group, Consensus consensus) {
        List<List<List<UUID>>> rankings = group.rankingGroups();
        for (TieGroups.OrderedPair<UUID> p : TieGroups.strictPairs(consensus.ranking())) {
            Rate support = ConsensusSupport.ofPair(rankings, p.better(), p.worse());
            startPair(group, group.responses.get(p.better()), group.responses.get(p.worse()));
            out.writeStringProperty("source", "consensus");
            number("agreement", support.orNull());
            out.writeNumberProperty("annotators", support.total());
            endLine();
        }
    }

    /** The fields every pair line has: texts (pairs) or messages, ids, and both responses' provenance. */
    private void startPair(PromptGroup group, PromptGroup.ResponseRow chosen, PromptGroup.ResponseRow rejected) {
        out.writeStartObject();
        if (request.format() == ExportFormat.MESSAGES) {
            messages("chosen", group, chosen.text());
            messages("rejected", group, rejected.text());
        } else {
            // Pre-encoded strings: a prompt's text is repeated on every one of its pair lines.
            out.writeName(PROMPT);
            out.writeString(group.promptTextJson());
            out.writeName(CHOSEN);
            out.writeString(chosen.textJson());
            out.writeName(REJECTED);
            out.writeString(rejected.textJson());
            // The prompt's turns as well, so a model with a chat template renders them as serve does.
            conversation(group);
        }
        out.writeName(PROMPT_ID);
        out.writeString(group.promptIdJson());
        out.writeName(CHOSEN_ID);
        out.writeString(chosen.idJson());
        out.writeName(REJECTED_ID);
        out.writeString(rejected.idJson());
        out.writeStringProperty("chosen_model", chosen.model());
        out.writeStringProperty("rejected_model", rejected.model());
        out.writeStringProperty("chosen_policy_version", chosen.policyVersion());
        out.writeStringProperty("rejected_policy_version", rejected.policyVersion());
    }

    private void messages(String name, PromptGroup group, String assistantText) {
        out.writeName(name);
        out.writeStartArray();
        for (Turn t : group.conversation.turns()) {
            turn(t.role(), t.content());
        }
        turn(Turn.ASSISTANT, assistantText);
        out.writeEndArray();
    }

    private void turn(String role, String content) {
        out.writeStartObject();
        out.writeStringProperty("role", role);
        out.writeStringProperty("content", content);
        out.writeEndObject();
    }

    private void ranking(PromptGroup group, PromptGroup.RankingRow r) {
        out.writeStartObject();
        out.writeStringProperty("ranking_id", r.id().toString());
        out.writeStringProperty("prompt_id", group.promptId.toString());
        string("task_id", r.taskId());
        out.writeStringProperty("prompt", group.promptText());
        conversation(group);
        responses(group, r.groups());
        rankingGroups("ranking", r.groups());
        out.writeName("flags");
        out.writeStartObject();
        for (Map.Entry<String, List<String>> e : r.flags().entrySet()) {
            out.writeName(e.getKey());
            out.writeStartArray();
            for (String flag : e.getValue()) {
                out.writeString(flag);
            }
            out.writeEndArray();
        }
        out.writeEndObject();
        out.writeBooleanProperty("none_acceptable", r.noneAcceptable());
        out.writeStringProperty("rewrite", r.rewrite());
        out.writeStringProperty("annotator", r.annotator());
        string("annotator_id", r.annotatorId());
        out.writeStringProperty("source", r.source());
        out.writeStringProperty("submitted_at", r.submittedAt().toString());
        if (r.durationMs() == null) {
            out.writeNullProperty("duration_ms");
        } else {
            out.writeNumberProperty("duration_ms", r.durationMs());
        }
        grades(r);
        endLine();
    }

    /**
     * What the annotator gave beyond the groups: the mode, the pairwise strength (null in other modes), the
     * ratings ({} unless rating) and thumbs ({} unless binary), both in rank order like {@code responses}.
     */
    private void grades(PromptGroup.RankingRow r) {
        Grades g = r.grades();
        out.writeStringProperty("feedback_mode", g.mode().wireName());
        if (g.mode() == FeedbackMode.PAIRWISE && g.strength() != null) {
            out.writeNumberProperty("strength", g.strength());
        } else {
            out.writeNullProperty("strength");
        }
        out.writeName("ratings");
        out.writeStartObject();
        if (g.mode() == FeedbackMode.RATING) {
            inRankOrder(r.groups(), g.ratings()).forEach((id, rating) -> out.writeNumberProperty(id.toString(), rating));
        }
        out.writeEndObject();
        out.writeName("labels");
        out.writeStartObject();
        if (g.mode() == FeedbackMode.BINARY) {
            inRankOrder(r.groups(), g.labels()).forEach((id, up) -> out.writeBooleanProperty(id.toString(), up));
        }
        out.writeEndObject();
    }

    /**
     * One line per response the ranking labels desirable or undesirable ({@link GradedFeedback#unpairedLabels}:
     * thumbs as given, ratings by threshold, rankings and graded pairs top group vs bottom group), in rank order.
     */
    private void kto(PromptGroup group, PromptGroup.RankingRow r) {
        Grades g = r.grades();
        Map<UUID, Boolean> labelled = GradedFeedback.unpairedLabels(g.mode(), r.groups(), inRankOrder(r.groups(), g.ratings()),
                inRankOrder(r.groups(), g.labels()));
        for (Map.Entry<UUID, Boolean> e : labelled.entrySet()) {
            PromptGroup.ResponseRow response = group.responses.get(e.getKey());
            out.writeStartObject();
            out.writeName(PROMPT);
            out.writeString(group.promptTextJson());
            out.writeName(COMPLETION);
            out.writeString(response.textJson());
            out.writeBooleanProperty("label", e.getValue());
            conversation(group);
            out.writeName(PROMPT_ID);
            out.writeString(group.promptIdJson());
            out.writeStringProperty("response_id", response.id().toString());
            out.writeStringProperty("model", response.model());
            out.writeStringProperty("policy_version", response.policyVersion());
            out.writeStringProperty("ranking_id", r.id().toString());
            string("task_id", r.taskId());
            out.writeStringProperty("annotator", r.annotator());
            string("annotator_id", r.annotatorId());
            out.writeStringProperty("feedback_mode", g.mode().wireName());
            out.writeStringProperty("source", r.source());
            out.writeStringProperty("submitted_at", r.submittedAt().toString());
            endLine();
        }
    }

    /**
     * A grade map (stored unordered) in the ranking's order: best group first, ids within a group as ranked;
     * ids the groups lack (none, as the groups are derived from the grades) come last.
     */
    private static <V> Map<UUID, V> inRankOrder(List<List<UUID>> groups, Map<UUID, V> grades) {
        if (grades.isEmpty()) {
            return grades;
        }
        Map<UUID, V> ordered = new LinkedHashMap<>();
        for (List<UUID> tieGroup : groups) {
            for (UUID id : tieGroup) {
                V grade = grades.get(id);
                if (grade != null) {
                    ordered.put(id, grade);
                }
            }
        }
        grades.forEach(ordered::putIfAbsent);
        return ordered;
    }

    private void consensusLine(PromptGroup group, Consensus consensus) {
        out.writeStartObject();
        out.writeStringProperty("prompt_id", group.promptId.toString());
        out.writeStringProperty("prompt", group.promptText());
        conversation(group);
        responses(group, consensus.ranking());
        rankingGroups("ranking", consensus.ranking());
        number("agreement", consensus.support().orNull());
        number("pairwise_agreement", PairwiseAgreement.amongRankings(group.rankingGroups()).orNull());
        out.writeNumberProperty("annotators", group.rankings.size());
        // The feedback mode's consensus figures (GradedConsensus); null and empty in the modes that do not grade so.
        out.writeStringProperty("feedback_mode", consensus.mode().wireName());
        number("mean_strength", consensus.graded().meanStrength());
        out.writeName("mean_ratings");
        out.writeStartObject();
        consensus.graded().meanRatings().forEach((id, mean) -> out.writeNumberProperty(id.toString(), mean));
        out.writeEndObject();
        out.writeName("majority_labels");
        out.writeStartObject();
        consensus.graded().majorityLabels().forEach((id, up) -> {
            if (up == null) {
                out.writeNullProperty(id.toString());
            } else {
                out.writeBooleanProperty(id.toString(), up);
            }
        });
        out.writeEndObject();
        endLine();
    }

    private void sft(PromptGroup group, PromptGroup.RankingRow r) {
        out.writeStartObject();
        out.writeStringProperty("prompt", group.promptText());
        out.writeStringProperty("completion", r.rewrite());
        conversation(group);
        out.writeStringProperty("prompt_id", group.promptId.toString());
        out.writeStringProperty("ranking_id", r.id().toString());
        out.writeStringProperty("annotator", r.annotator());
        out.writeStringProperty("source", "rewrite");
        out.writeStringProperty("submitted_at", r.submittedAt().toString());
        endLine();
    }

    /**
     * The prompt's turns, {@code "conversation": [{"role", "content"}, ...]} (the prompt without the
     * response): on {@code rankings}, {@code consensus}, {@code pairs}, {@code sft} and {@code kto} lines. Pre-encoded
     * once per prompt, as every pair line of the prompt repeats it.
     */
    private void conversation(PromptGroup group) {
        out.writeName(CONVERSATION);
        out.writeStartArray();
        for (SerializedString[] t : group.conversationJson()) {
            out.writeStartObject();
            out.writeName(ROLE);
            out.writeString(t[0]);
            out.writeName(CONTENT);
            out.writeString(t[1]);
            out.writeEndObject();
        }
        out.writeEndArray();
    }

    /** The ranked responses in rank order. */
    private void responses(PromptGroup group, List<List<UUID>> ranking) {
        out.writeName("responses");
        out.writeStartArray();
        for (List<UUID> tieGroup : ranking) {
            for (UUID id : tieGroup) {
                PromptGroup.ResponseRow resp = group.responses.get(id);
                out.writeStartObject();
                out.writeStringProperty("id", id.toString());
                out.writeStringProperty("text", resp.text());
                out.writeStringProperty("model", resp.model());
                out.writeStringProperty("policy_version", resp.policyVersion());
                out.writeEndObject();
            }
        }
        out.writeEndArray();
    }

    private void rankingGroups(String name, List<List<UUID>> groups) {
        out.writeName(name);
        out.writeStartArray();
        for (List<UUID> g : groups) {
            out.writeStartArray();
            for (UUID id : g) {
                out.writeString(id.toString());
            }
            out.writeEndArray();
        }
        out.writeEndArray();
    }

    private void string(String name, UUID value) {
        out.writeStringProperty(name, value == null ? null : value.toString());
    }

    private void number(String name, Double value) {
        if (value == null) {
            out.writeNullProperty(name);
        } else {
            out.writeNumberProperty(name, value);
        }
    }

    private void endLine() {
        out.writeEndObject();
        lines++;
    }
}
