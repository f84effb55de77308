package dev.rlhf.trainer.serve;

import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.TieGroups;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The trainer's own durable copy of every ranking it consumed: {@code rankings.jsonl} in the state
 * directory, one line per {@code RankingSubmitted}, each a valid line of the annotation app's
 * {@code rankings} export ({@code rankings.schema.json}), plus {@code event_id} and {@code project_id}.
 * So {@code trainer reward|dpo --data <state>/rankings.jsonl} trains on it offline, and the loop reads it
 * back through the same reader ({@link PreferenceFile}): one mapping from a stored line to training data.
 * Lines of older versions (without {@code ranking_id}, {@code annotator}, and without {@code conversation}
 * for a plain prompt) read as before. Built on {@link DurableLog}: appended, then synced (fsync) before
 * the offset is committed; duplicates by event id dropped; counts and reads cover synced rankings only.
 */
public final class PreferenceStore implements AutoCloseable {

    public static final String FILE = "rankings.jsonl";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DurableLog log;
    /** Comparisons in the synced rankings, and in those appended since the last sync. */
    private long comparisons;
    private long pendingComparisons;

    public PreferenceStore(Path stateDir) throws IOException {
        this.log = new DurableLog(stateDir.resolve(FILE));
        for (ObjectNode line : log.head(log.size())) {
            comparisons += PreferenceFile.parse(line).ranking().pairCount();
        }
    }

    /** Appends the ranking (durable after {@link #sync}); false, and nothing written, when its event id is already stored. */
    public synchronized boolean append(RankingSubmitted event) {
        boolean added = log.append(line(event));
        if (added) {
            pendingComparisons += TieGroups.strictPairCount(event.getRanking());
        }
        return added;
    }

    /** Puts every appended ranking on disk (one fsync); call before committing the consumer's offsets. */
    public synchronized void sync() {
        log.sync();
        comparisons += pendingComparisons;
        pendingComparisons = 0;
    }

    /** Rankings stored so far. */
    public int size() {
        return log.size();
    }

    /** Comparisons (strict pairs across tie groups) in all stored rankings. */
    public synchronized long comparisons() {
        return comparisons;
    }

    /** The first {@code count} rankings, as training data, prompts rendered with the plain template. */
    public List<RankedResponses> head(int count) {
        return head(count, PlainChatTemplate.INSTANCE);
    }

    /** The first {@code count} rankings, as training data, prompts (their conversations) rendered with {@code template}. */
    public List<RankedResponses> head(int count, ChatTemplate template) {
        List<RankedResponses> out = new ArrayList<>();
        for (ObjectNode line : log.head(count)) {
            out.add(PreferenceFile.parse(line, template));
        }
        return out;
    }

    /** The raw stored lines (export format plus ids), e.g. to group rankings by policy version. */
    public List<ObjectNode> lines(int count) {
        return log.head(count);
    }

    public Path file() {
        return log.file();
    }

    /** The event as a {@code rankings} export line, with its {@code event_id} and {@code project_id}. */
    static ObjectNode line(RankingSubmitted event) {
        ObjectNode line = JSON.createObjectNode();
        line.put(DurableLog.ID, event.getEventId().toString());
        // The event is the ranking as far as the trainer knows: it carries no other id, and one is sent per ranking.
        line.put("ranking_id", event.getEventId().toString());
        line.put("project_id", event.getProjectId());
        line.put("prompt_id", event.getPromptId());
        line.put("prompt", event.getPrompt());
        // The export always has the prompt's turns; the event leaves them out for a plain prompt (one user turn).
        ArrayNode conversation = line.putArray("conversation");
        List<ChatMessage> turns = event.getConversation().isEmpty() ? ChatMessage.userPrompt(event.getPrompt())
                : event.getConversation().stream().map(t -> new ChatMessage(t.getRole(), t.getContent())).toList();
        turns.forEach(t -> conversation.addObject().put("role", t.role()).put("content", t.content()));
        ArrayNode responses = line.putArray("responses");
        for (RankedResponse r : event.getResponses()) {
            ObjectNode response = responses.addObject();
            response.put("id", r.getId());
            response.put("text", r.getText());
            response.put("policy_version", r.getPolicyVersion());
            response.put("model", r.getModel());
        }
        ArrayNode ranking = line.putArray("ranking");
        for (List<String> group : event.getRanking()) {
            ArrayNode g = ranking.addArray();
            group.forEach(g::add);
        }
        ObjectNode flags = line.putObject("flags");
        for (Map.Entry<String, List<String>> f : event.getFlags().entrySet()) {
            ArrayNode values = flags.putArray(f.getKey());
            f.getValue().forEach(values::add);
        }
        // The grades beyond the groups, as the rankings export writes them (KTO and --margin from-data read them).
        line.put("feedback_mode", FeedbackMode.fromWire(String.valueOf(event.getFeedbackMode())).wireName());
        if (event.getStrength() == null) {
            line.putNull("strength");
        } else {
            line.put("strength", event.getStrength());
        }
        ObjectNode ratings = line.putObject("ratings");
        event.getRatings().forEach((id, rating) -> ratings.put(id.toString(), rating));
        ObjectNode labels = line.putObject("labels");
        event.getLabels().forEach((id, up) -> labels.put(id.toString(), up));
        line.put("none_acceptable", event.getNoneAcceptable());
        line.put("rewrite", event.getRewrite());
        // The event's annotatorId is the annotator's user name (what the export calls "annotator").
        line.put("annotator", event.getAnnotatorId());
        line.put("source", "annotator");
        line.put("submitted_at", event.getSubmittedAt().toString());
        line.put("duration_ms", event.getDurationMs());
        return line;
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
