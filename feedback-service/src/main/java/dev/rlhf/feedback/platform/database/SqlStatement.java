package dev.rlhf.feedback.platform.database;

import java.util.List;

/**
 * One SQL statement with its positional parameters, so a repository can hand its statement to
 * another that sends several in one round trip (a PostgreSQL data-modifying CTE).
 */
public record SqlStatement(String sql, List<Object> params) {
}
