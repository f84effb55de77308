package dev.rlhf.feedback.outbox;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;


/**
 * The relay's side of the transactional outbox ({@link OutboxWriter} appends): unsent rows in id
 * order, marking them sent, the backlog.
 */
@Repository
public class OutboxRepository {

    private final JdbcClient jdbc;

    public OutboxRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public List<OutboxRecord> findUnsent(int limit) {
        return jdbc.sql("SELECT id, event_id, topic, record_key, event_type, payload FROM outbox WHERE sent_at IS NULL ORDER BY id FETCH FIRST ? ROWS ONLY")
                .param(limit)
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

    /** When the oldest unsent row was written (the database's clock). */
    public Optional<Instant> oldestUnsentCreatedAt() {
        return jdbc.sql("SELECT min(created_at) FROM outbox WHERE sent_at IS NULL")
                .query((rs, row) -> Optional.ofNullable(rs.getObject(1, OffsetDateTime.class))).single().map(OffsetDateTime::toInstant);
    }

    public long countUnsent() {
        return jdbc.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").query(Long.class).single();
    }
}
