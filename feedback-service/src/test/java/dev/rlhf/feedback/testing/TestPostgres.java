package dev.rlhf.feedback.testing;

import java.util.UUID;

/**
 * The real PostgreSQL the tests use (127.0.0.1:5432, database {@code test}, trust auth; override
 * with {@code RLHF_TEST_POSTGRES_URL}). Each test context gets its own schema, so test classes and
 * parallel runs never see each other's rows.
 */
public final class TestPostgres {
    public static final String BASE_URL = System.getenv().getOrDefault("RLHF_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = System.getenv().getOrDefault("RLHF_TEST_POSTGRES_USER", "postgres");

    private TestPostgres() {
    }

    public static String newSchema() {
        return "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    public static String url(String schema) {
        return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
