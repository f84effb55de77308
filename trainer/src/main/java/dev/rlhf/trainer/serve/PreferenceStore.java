package dev.rlhf.trainer.serve;

import dev.rlhf.schemas.events.RankedResponse;
import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import dev.rlhf.trainer.align.data.PreferenceFile;
import dev.rlhf.trainer.align.data.RankedResponses;
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
 * directory, one line per {@code RankingSubmitted} in the annotation app's {@code rankings} export
 * format (so {@code trainer reward --data <state>/rankings.jsonl} reads it as is), plus the event id,
 * annotator and policy versions. Built on {@link DurableLog}: appended, then synced (fsync) before the
 * offset is committed; duplicates by event id dropped; counts and reads cover synced rankings only.
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
            comparisons += comparisons(PreferenceFile.parse(line));
        }
    }

    /** Appends the ranking (durable after {@link #sync}); false, and nothing written, when its event id is already stored. */
    public synchronized boolean append(RankingSubmitted event) {
        boolean added = log.append(line(event));
        if (added) {
            pendingComparisons += comparisons(event.getRanking().stream().map(List::size).toList());
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

    /** Ordered pairs across tie groups in all stored rankings. */
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

    /** Comparisons (ordered pairs across tie groups) in one ranking. */
    public static long comparisons(RankedResponses ranking) {
        List<Integer> sizes = new ArrayList<>();
        for (int[] group : ranking.ranking().groups()) {
            sizes.add(group.length);
        }
        return comparisons(sizes);
    }

    /** Comparisons given the sizes of the tie groups, best first: every response against each one ranked below its group. */
    static long comparisons(List<Integer> groupSizes) {
        long pairs = 0;
        long before = 0;
        for (int size : groupSizes) {
            pairs += before * size;
            before += size;
        }
        return pairs;
    }

    static ObjectNode line(RankingSubmitted event) {
        ObjectNode line = JSON.createObjectNode();
        line.put(DurableLog.ID, event.getEventId().toString());
        line.put("project_id", event.getProjectId());
        line.put("prompt_id", event.getPromptId());
        line.put("prompt", event.getPrompt());
        if (!event.getConversation().isEmpty()) { // the prompt's turns, as the rankings export writes them
            ArrayNode conversation = line.putArray("conversation");
            for (dev.rlhf.schemas.events.Turn t : event.getConversation()) {
                conversation.addObject().put("role", t.getRole()).put("content", t.getContent());
            }
        }
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
        line.put("none_acceptable", event.getNoneAcceptable());
        line.put("rewrite", event.getRewrite());
        line.put("annotator_id", event.getAnnotatorId());
        line.put("submitted_at", event.getSubmittedAt().toString());
        line.put("duration_ms", event.getDurationMs());
        line.put("source", "annotator");
        return line;
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
