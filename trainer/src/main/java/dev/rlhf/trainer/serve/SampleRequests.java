package dev.rlhf.trainer.serve;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The durable log of sample requests, {@code sample-requests.jsonl}: each {@link SampleRequest} as one
 * JSON line in the order it arrived, with the {@link DurableLog} guarantees (durable at {@link #sync},
 * duplicates by event id dropped, readers see synced lines only).
 */
public final class SampleRequests implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    private final DurableLog log;

    public SampleRequests(Path file) throws IOException {
        this.log = new DurableLog(file);
    }

    /** Appends the request (durable after {@link #sync}); false when its event id is already stored. */
    public boolean append(SampleRequest request) {
        return log.append(JSON.valueToTree(request));
    }

    public void sync() {
        log.sync();
    }

    /** Requests on disk. */
    public int size() {
        return log.size();
    }

    /** The first {@code count} requests on disk, in arrival order. */
    public List<SampleRequest> head(int count) {
        return log.head(count).stream().map(SampleRequests::request).toList();
    }

    static SampleRequest request(ObjectNode line) {
        return JSON.treeToValue(line, SampleRequest.class);
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
