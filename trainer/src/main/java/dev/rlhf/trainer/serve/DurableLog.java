package dev.rlhf.trainer.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An append-only JSONL file of events, each with a unique {@value #ID} field, written durably in
 * groups: {@link #append} writes a line, {@link #sync} puts every line written so far on disk
 * (one fsync for a whole poll of Kafka records), and the consumer commits its offsets only after
 * that, so a committed offset never points past an event the file lacks. Readers ({@link #size},
 * {@link #head}) see only synced lines: what a crash could still take away is never trained on. An
 * event whose id is already in the file is dropped, so a redelivery after a crash counts nothing
 * twice. A line torn by a crash in the middle of a write (no final newline) is cut off when the log
 * is opened: its event was never acknowledged and comes back from Kafka.
 */
public final class DurableLog implements AutoCloseable {

    /** The field that holds each line's unique id. */
    public static final String ID = "event_id";

    private static final Logger log = LoggerFactory.getLogger(DurableLog.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path file;
    private final FileChannel channel;
    private final Set<String> ids = new HashSet<>();
    private final List<ObjectNode> lines = new ArrayList<>();
    /** Lines known to be on disk: the first {@code synced} of {@link #lines}. */
    private int synced;

    public DurableLog(Path file) throws IOException {
        this.file = file;
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        load();
    }

    private void load() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        if (end < bytes.length) {
            log.warn("{}: cutting off a torn last line of {} bytes (a crash during a write; Kafka redelivers its event)",
                    file, bytes.length - end);
            channel.truncate(end);
            channel.force(true);
        }
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        int number = 0;
        for (String line : text.split("\n")) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (RuntimeException e) {
                throw new IOException(file + " line " + number + ": not JSON (" + e.getMessage() + ")", e);
            }
            if (!(node instanceof ObjectNode object) || !object.path(ID).isString()) {
                throw new IOException(file + " line " + number + ": not an object with a string \"" + ID + "\"");
            }
            if (ids.add(object.get(ID).asString())) {
                lines.add(object);
            }
        }
        channel.position(end);
        synced = lines.size();
    }

    /** Appends {@code event} (which must carry {@value #ID}); false when its id is already here. Durable after {@link #sync}. */
    public synchronized boolean append(ObjectNode event) {
        String id = event.path(ID).asString(null);
        if (id == null) {
            throw new IllegalArgumentException("event without \"" + ID + "\"");
        }
        if (ids.contains(id)) {
            return false;
        }
        byte[] bytes = (JSON.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("appending to " + file, e);
        }
        ids.add(id);
        lines.add(event);
        return true;
    }

    /** Forces every appended line to disk; afterwards readers see them. */
    public synchronized void sync() {
        if (synced == lines.size()) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("syncing " + file, e);
        }
        synced = lines.size();
    }

    /** Events on disk. */
    public synchronized int size() {
        return synced;
    }

    public synchronized boolean contains(String id) {
        return ids.contains(id);
    }

    /** The first {@code count} events on disk, in the order they were appended. */
    public synchronized List<ObjectNode> head(int count) {
        return List.copyOf(lines.subList(0, Math.min(count, synced)));
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
