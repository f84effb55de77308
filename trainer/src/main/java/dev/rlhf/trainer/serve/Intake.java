package dev.rlhf.trainer.serve;

import dev.rlhf.schemas.events.RankingSubmitted;
import dev.rlhf.schemas.events.SampleRequested;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.PromptLines;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Events in: the consumer thread stores every ranking ({@link PreferenceStore}) and sample request
 * ({@link SampleRequests}) durably before its offset is committed, and this class keeps what the worker
 * needs to decide whether labelers are still at work (when the last ranking came, which published
 * prompts no ranking has answered yet).
 */
final class Intake implements AutoCloseable {

    /** The loop's log: one logger name for everything the schedule does. */
    private static final Logger log = LoggerFactory.getLogger(TrainingLoop.class);

    /** A prompt labelers get samples for: from a stored ranking or a sample request. */
    record Prompt(String projectId, String promptId, List<ChatMessage> conversation) {}

    private final PreferenceStore store;
    private final SampleRequests requests;

    /** When the last new ranking arrived (System.nanoTime), and whether one arrived since the last refill. */
    private volatile long lastRankingAt = System.nanoTime();
    private volatile boolean rankedSinceRefill;
    /** Prompts whose published samples no ranking has answered yet (since this start): labelers still have work. */
    private final Set<String> awaitingRanking = ConcurrentHashMap.newKeySet();

    Intake(StateLayout layout) throws IOException {
        this.store = new PreferenceStore(layout.root());
        this.requests = new SampleRequests(layout.requests());
        this.rankedSinceRefill = store.size() > 0;
    }

    PreferenceStore store() {
        return store;
    }

    SampleRequests requests() {
        return requests;
    }

    /** Puts what the handlers below wrote on disk; the consumer calls it before committing offsets. */
    void sync() {
        store.sync();
        requests.sync();
    }

    /** Stores a ranking (durable at the next {@link #sync}); a duplicate event id is dropped. */
    void onRanking(RankingSubmitted ranking) {
        if (store.append(ranking)) {
            lastRankingAt = System.nanoTime();
            rankedSinceRefill = true;
            awaitingRanking.remove(ranking.getPromptId());
            log.debug("Ranking {} stored ({} rankings, {} comparisons)", ranking.getEventId(), store.size(), store.comparisons());
        } else {
            log.info("Ranking {} was stored before; duplicate dropped", ranking.getEventId());
        }
    }

    /** Stores a sample request durably; the worker answers it in order. An empty prompt is an IllegalArgumentException. */
    void onSampleRequest(SampleRequested request) {
        requests.append(SampleRequest.of(request));
    }

    /** Samples of {@code promptId} went to labelers: a ranking of it is now expected. */
    void published(String promptId) {
        awaitingRanking.add(promptId);
    }

    void refilled() {
        rankedSinceRefill = false;
    }

    boolean rankedSinceRefill() {
        return rankedSinceRefill;
    }

    long idleSeconds() {
        return (System.nanoTime() - lastRankingAt) / 1_000_000_000L;
    }

    int tasksAwaiting() {
        return awaitingRanking.size();
    }

    /**
     * Whether no more comparisons can be expected: every task this run published was ranked and no
     * ranking came for {@code idleLimit} seconds, or none came for ten times that (tasks labelers skip never end).
     */
    boolean labelersDone(int idleLimit) {
        long idle = idleSeconds();
        return idle >= idleLimit && awaitingRanking.isEmpty() || idle >= 10L * idleLimit;
    }

    /** Up to {@code limit} prompts: those of the first {@code rankings} rankings, most recent first, then requested ones never ranked. */
    List<Prompt> recentPrompts(int rankings, int limit) {
        Map<String, Prompt> prompts = new LinkedHashMap<>();
        for (ObjectNode line : store.lines(rankings).reversed()) {
            String promptId = line.get("prompt_id").asString();
            if (!prompts.containsKey(promptId)) {
                prompts.put(promptId, new Prompt(line.get("project_id").asString(), promptId, PromptLines.conversation(line)));
            }
        }
        for (SampleRequest request : requests.head(requests.size())) {
            prompts.putIfAbsent(request.promptId(), new Prompt(request.projectId(), request.promptId(), request.messages()));
        }
        return prompts.values().stream().limit(limit).toList();
    }

    @Override
    public void close() throws IOException {
        store.close();
        requests.close();
    }
}
