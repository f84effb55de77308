package dev.rlhf.feedback.platform.database;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.stereotype.Component;

/**
 * Which database the service runs on. The SQL is portable (PostgreSQL and H2 in PostgreSQL mode)
 * except on the hot paths, where PostgreSQL-only features save round trips: {@code COPY} for imports,
 * a data-modifying CTE and {@code FOR UPDATE OF} for submissions. Those paths ask here and keep a
 * portable fallback, which the H2 tests exercise.
 */
@Component
public class DatabaseKind {

    private final DataSource dataSource;
    /** Looked up on first use, not at start-up, so a database that is down fails where it always did (Flyway). */
    private volatile Boolean postgres;

    public DatabaseKind(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** True on PostgreSQL (the production database), false on the embedded H2 of the zero-install default. */
    public boolean isPostgres() {
        Boolean known = postgres;
        if (known == null) {
            try (Connection connection = dataSource.getConnection()) {
                known = connection.getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
            } catch (SQLException e) {
                throw new CannotGetJdbcConnectionException("Cannot tell which database this is", e);
            }
            postgres = known;
        }
        return known;
    }
}
