package dev.rlhf.feedback.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import dev.rlhf.feedback.testing.TestPostgres;

/**
 * Bulk inserts store every value exactly, on PostgreSQL (COPY, whose text format needs escaping)
 * and on H2 (multi-row INSERTs), join the caller's transaction, and report a duplicate key as such.
 */
class BulkInsertTest {

    /** Characters COPY's text format treats specially, and text that looks like its escapes. */
    private static final List<String> AWKWARD_TEXTS = List.of("tab\there", "line\nbreak\r\nand CR\r", "back\\slash \\N \\t \\\\",
            "\\N", "", "unicode: é ü 日本 🙂", "quote ' and \" and , and ;");

    private String schema;
    private DataSource dataSource;

    private DataSource database(String kind) {
        if (kind.equals("postgres")) {
            schema = TestPostgres.newSchema();
            dataSource = new DriverManagerDataSource(TestPostgres.url(schema), TestPostgres.USER, "");
            Flyway.configure().dataSource(dataSource).schemas(schema).locations("classpath:db/migration").load().migrate();
        } else {
            dataSource = new DriverManagerDataSource("jdbc:h2:mem:bulk-" + UUID.randomUUID()
                    + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1", "sa", "");
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        }
        return dataSource;
    }

    @AfterEach
    void dropSchema() {
        if (schema != null) {
            JdbcClient.create(dataSource).sql("DROP SCHEMA " + schema + " CASCADE").update();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "h2"})
    void storesEveryValueExactlyInTheCallersTransaction(String kind) {
        DataSource db = database(kind);
        JdbcClient jdbc = JdbcClient.create(db);
        BulkInsert bulk = new BulkInsert(db);
        UUID project = UUID.randomUUID();
        jdbc.sql("INSERT INTO projects (id, name, guidelines, responses_per_task, annotators_per_task, lease_seconds) VALUES (?, 'p', '', 2, 1, 60)")
                .param(project).update();
        List<Object[]> prompts = new ArrayList<>();
        for (int i = 0; i < AWKWARD_TEXTS.size(); i++) {
            prompts.add(new Object[] {UUID.randomUUID(), project, AWKWARD_TEXTS.get(i), "hash-" + i, "prompts",
                    new SqlParameterValue(Types.VARCHAR, i % 2 == 0 ? null : "ref\t" + i)});
        }
        OffsetDateTime at = OffsetDateTime.of(2026, 3, 1, 10, 0, 0, 123_000_000, ZoneOffset.UTC);
        byte[] payload = {0, 1, (byte) 0x5c, (byte) 0x0a, (byte) 0xff};
        var tx = new TransactionTemplate(new DataSourceTransactionManager(db));

        tx.executeWithoutResult(status -> {
            bulk.insert("prompts", "id, project_id, conversation, content_hash, source, source_ref", prompts);
            bulk.insert("outbox", "event_id, topic, record_key, event_type, payload, created_at",
                    List.<Object[]>of(new Object[] {UUID.randomUUID(), "t", "k", "E", payload, at}));
            status.setRollbackOnly();
        });
        assertThat(jdbc.sql("SELECT count(*) FROM prompts").query(Long.class).single()).as("rolled back with the transaction").isZero();

        tx.executeWithoutResult(status -> {
            bulk.insert("prompts", "id, project_id, conversation, content_hash, source, source_ref", prompts);
            bulk.insert("outbox", "event_id, topic, record_key, event_type, payload, created_at",
                    List.<Object[]>of(new Object[] {UUID.randomUUID(), "t", "k", "E", payload, at}));
        });
        for (Object[] row : prompts) {
            Map<String, Object> stored = jdbc.sql("SELECT conversation, source_ref FROM prompts WHERE id = ?").param(row[0]).query().singleRow();
            assertThat(stored.get("conversation")).isEqualTo(row[2]);
            assertThat(stored.get("source_ref")).isEqualTo(((SqlParameterValue) row[5]).getValue());
        }
        assertThat(jdbc.sql("SELECT payload FROM outbox").query(byte[].class).single()).isEqualTo(payload);
        assertThat(jdbc.sql("SELECT created_at FROM outbox").query(OffsetDateTime.class).single().toInstant()).isEqualTo(at.toInstant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "h2"})
    void aDuplicateKeyIsReportedAsOne(String kind) {
        DataSource db = database(kind);
        BulkInsert bulk = new BulkInsert(db);
        UUID event = UUID.randomUUID();
        List<Object[]> twice = List.of(new Object[] {event, "t", "k", "E", new byte[] {1}}, new Object[] {event, "t", "k", "E", new byte[] {2}});

        assertThatThrownBy(() -> new TransactionTemplate(new DataSourceTransactionManager(db))
                .executeWithoutResult(status -> bulk.insert("outbox", "event_id, topic, record_key, event_type, payload", twice)))
                .isInstanceOf(DuplicateKeyException.class);
    }
}
