package db.migration;

import java.sql.Statement;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * An index of the open tasks only, for choosing the next task. The candidates query walks
 * {@code tasks_next_in_project} in preference order (most rankings first) and filtered out every
 * complete task before reaching an open one: a project near the end of its annotation scanned
 * almost all its tasks on every request (1,980 of 2,000 rows removed by the filter, 4 ms, measured
 * with EXPLAIN ANALYZE). A partial index holds just the open ones, and PostgreSQL uses it because the
 * query repeats its condition. H2 (the zero-install default, small projects) has no partial indexes
 * and keeps the full one. In Java because the SQL differs by database; Flyway finds it in this package.
 */
public class V7_1__Open_tasks_index extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        if (!context.getConnection().getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL")) {
            return;
        }
        try (Statement statement = context.getConnection().createStatement()) {
            statement.execute("CREATE INDEX tasks_open_next_in_project ON tasks (project_id, rankings_count DESC, created_at, id) "
                    + "WHERE rankings_count < annotators_needed");
        }
    }
}
