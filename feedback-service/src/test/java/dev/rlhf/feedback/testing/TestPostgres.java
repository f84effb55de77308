package dev.rlhf.feedback.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real PostgreSQL the tests use (127.0.0.1:5432, database {@code test}, trust auth; override
 * with {@code RLHF_TEST_POSTGRES_URL}). Each test context gets its own schema, so test classes and
 * parallel runs never see each other's rows. Schema names carry their creation time; the first new
 * schema of a JVM drops those older than {@link #STALE_AFTER}, so repeated local runs do not fill the
 * database (a run takes minutes, so a schema that old belongs to no running test).
 */
public final class TestPostgres {
    public static final String BASE_URL = System.getenv().getOrDefault("RLHF_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = System.getenv().getOrDefault("RLHF_TEST_POSTGRES_USER", "postgres");

    static final Duration STALE_AFTER = Duration.ofHours(6);
    private static final Pattern SCHEMA_NAME = Pattern.compile("it_(\\d+)_[0-9a-f]{8}");
    private static final AtomicBoolean STALE_DROPPED = new AtomicBoolean();

    private TestPostgres() {
    }

    public static String newSchema() {
        if (STALE_DROPPED.compareAndSet(false, true)) {
            dropStaleSchemas();
        }
        return "it_" + Instant.now().getEpochSecond() + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Drops test schemas older than {@link #STALE_AFTER}, and those named before names carried a time. */
    private static void dropStaleSchemas() {
        long staleBefore = Instant.now().minus(STALE_AFTER).getEpochSecond();
        try (Connection connection = DriverManager.getConnection(BASE_URL, USER, null);
             Statement statement = connection.createStatement()) {
            List<String> stale = new ArrayList<>();
            try (ResultSet schemas = statement.executeQuery("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'it\\_%'")) {
                while (schemas.next()) {
                    String name = schemas.getString(1);
                    Matcher timed = SCHEMA_NAME.matcher(name);
                    if (timed.matches() ? Long.parseLong(timed.group(1)) < staleBefore : name.matches("it_[0-9a-f]{16}")) {
                        stale.add(name);
                    }
                }
            }
            for (String name : stale) {
                statement.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            }
        } catch (SQLException e) {
            // Housekeeping only: the tests themselves report an unreachable database clearly.
            System.err.println("Could not drop stale test schemas: " + e.getMessage());
        }
    }

    public static String url(String schema) {
        return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
