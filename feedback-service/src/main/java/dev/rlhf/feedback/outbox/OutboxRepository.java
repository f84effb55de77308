package dev.rlhf.feedback.outbox;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;


/**
 * The relay's side of the transactional outbox ({@link OutboxWriter} appends): unsent rows in id
 * order (all of them, or those of some {@link RelaySlots}), marking them sent, the backlog.
 */
@Repository
public class OutboxRepository {

    private final JdbcClient jdbc;

    public OutboxRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The slot (0 to {@link RelaySlots#SLOTS} - 1) of a row, from its key alone, so a key's rows share
     * one: PostgreSQL's {@code hashtext}, the same in every instance on one server. Only PostgreSQL
     * needs it (on H2 one relay owns every slot).
     */
    static final String SLOT_OF_KEY = "mod(hashtext(record_key) & 2147483647, " + RelaySlots.SLOTS + ")";

    public List<OutboxRecord> findUnsent(int limit) {
        return findUnsent(limit, RelaySlots.ALL_SLOTS);
    }

    /** The first {@code limit} unsent rows of these slots, in id order. */
    public List<OutboxRecord> findUnsent(int limit, Set<Integer> slots) {
        if (slots.isEmpty()) {
            return List.of();
        }
        var query = slots.size() == RelaySlots.SLOTS
                ? jdbc.sql("SELECT id, event_id, topic, record_key, event_type, payload FROM outbox WHERE sent_at IS NULL"
                        + " ORDER BY id FETCH FIRST :limit ROWS ONLY")
                : jdbc.sql("SELECT id, event_id, topic, record_key, event_type, payload FROM outbox WHERE sent_at IS NULL"
                        + " AND " + SLOT_OF_KEY + " IN (:slots) ORDER BY id FETCH FIRST :limit ROWS ONLY").param("slots", List.copyOf(slots));
        return query.param("limit", limit)
                .query((rs, row) -> new OutboxRecord(rs.getLong("id"), rs.getObject("event_id", UUID.class), rs.getString("topic"),
                        rs.getString("record_key"), rs.getString("event_type"), rs.getBytes("payload")))
                .list();
    }

    public void markSent(List<Long> ids, Instant sentAt) {
        if (ids.isEmpty()) {
            return;
        }
        jdbc.sql("UPDATE outbox SET sent_at = :sentAt WHERE id IN (:ids)")
                .param("sentAt", OffsetDateTime.ofInstant(sentAt, ZoneOffset.UTC)).param("ids", ids).update();
    }

    /** When the oldest of these rows was written (the database's clock). */
    public Optional<Instant> oldestCreatedAt(List<Long> ids) {
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT min(created_at) FROM outbox WHERE id IN (:ids)").param("ids", ids)
                .query((rs, row) -> Optional.ofNullable(rs.getObject(1, OffsetDateTime.class))).single().map(OffsetDateTime::toInstant);
    }

    public long countUnsent() {
        return jdbc.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").query(Long.class).single();
    }
}
