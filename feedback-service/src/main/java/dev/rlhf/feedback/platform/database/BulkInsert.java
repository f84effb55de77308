package dev.rlhf.feedback.platform.database;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.postgresql.PGConnection;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.jdbc.support.SQLExceptionTranslator;
import org.springframework.stereotype.Component;

/**
 * Inserts many rows in the caller's transaction with as little work per row as the database allows:
 * on PostgreSQL one {@code COPY ... FROM STDIN} per call (no statement to parse, plan and bind per few
 * hundred rows; the rows stream in PostgreSQL's text format), elsewhere (H2) multi-row INSERTs.
 * Errors surface as Spring's {@code DataAccessException}s either way, a unique violation as
 * {@code DuplicateKeyException}, so callers can go back to a savepoint and look rows up instead.
 *
 * <p>Values: {@link UUID}, {@link String}, {@link Number}, {@link Boolean}, {@link OffsetDateTime},
 * {@code byte[]} (bytea), null, or any of those wrapped in a {@link SqlParameterValue}.
 */
@Component
public class BulkInsert {

    /** Bound on the parameters of one INSERT statement on the fallback path (PostgreSQL allows 65,535). */
    private static final int MAX_PARAMETERS = 5_000;
    private static final HexFormat HEX = HexFormat.of();

    private final DataSource dataSource;
    private final JdbcClient jdbc;
    private final DatabaseKind database;
    private final SQLExceptionTranslator errors;

    public BulkInsert(DataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbc = JdbcClient.create(dataSource);
        this.database = new DatabaseKind(dataSource);
        this.errors = new SQLErrorCodeSQLExceptionTranslator(dataSource);
    }

    /** Inserts {@code rows} (each an array in the order of {@code columns}, a comma-separated list) into {@code table}. */
    public void insert(String table, String columns, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        if (database.isPostgres()) {
            copy(table, columns, rows);
        } else {
            multiRowInserts(table, columns, rows);
        }
    }

    private void copy(String table, String columns, List<Object[]> rows) {
        StringBuilder text = new StringBuilder(rows.size() * 256);
        for (Object[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    text.append('\t');
                }
                appendCopyText(text, row[i]);
            }
            text.append('\n');
        }
        String sql = "COPY " + table + " (" + columns + ") FROM STDIN";
        // The transaction's connection (DataSourceUtils), so the rows commit or roll back with the caller's other statements.
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn(sql, new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (SQLException e) {
            throw errors.translate("COPY " + table, sql, e);
        } catch (IOException e) {
            throw new DataAccessResourceFailureException("COPY " + table + " failed: " + e.getMessage(), e);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }

    /** One field in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
    private static void appendCopyText(StringBuilder out, Object value) {
        Object v = value instanceof SqlParameterValue wrapped ? wrapped.getValue() : value;
        switch (v) {
            case null -> out.append("\\N");
            case byte[] bytes -> out.append("\\\\x").append(HEX.formatHex(bytes));
            case Boolean b -> out.append(b ? 't' : 'f');
            case UUID id -> out.append(id);
            case Number n -> out.append(n);
            case OffsetDateTime time -> out.append(time);
            default -> appendEscaped(out, v.toString());
        }
    }

    /** Text with COPY's four special characters escaped; most text has none and is appended in one piece. */
    private static void appendEscaped(StringBuilder out, String s) {
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            String escape = switch (s.charAt(i)) {
                case '\\' -> "\\\\";
                case '\t' -> "\\t";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                default -> null;
            };
            if (escape != null) {
                out.append(s, from, i).append(escape);
                from = i + 1;
            }
        }
        out.append(s, from, s.length());
    }

    /** Multi-row INSERTs: one statement per few hundred rows instead of one per row. */
    private void multiRowInserts(String table, String columns, List<Object[]> rows) {
        int width = rows.getFirst().length;
        String tuple = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
        int perStatement = Math.max(1, MAX_PARAMETERS / width);
        for (int start = 0; start < rows.size(); start += perStatement) {
            List<Object[]> chunk = rows.subList(start, Math.min(rows.size(), start + perStatement));
            List<Object> params = new ArrayList<>(chunk.size() * width);
            chunk.forEach(row -> params.addAll(Arrays.asList(row)));
            jdbc.sql("INSERT INTO " + table + " (" + columns + ") VALUES " + String.join(", ", Collections.nCopies(chunk.size(), tuple)))
                    .params(params).update();
        }
    }
}
