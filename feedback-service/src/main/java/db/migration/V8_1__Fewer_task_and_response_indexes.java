package db.migration;

import java.sql.Statement;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Drops indexes that other indexes already serve, because every index costs an entry on each import
 * row and, for tasks, on each submission (incrementing {@code rankings_count} rewrites the task's
 * entries in all of its indexes):
 * <ul>
 * <li>{@code responses_by_prompt (prompt_id)}: {@code responses_unique_content (prompt_id, content_hash)}
 * starts with the same column;</li>
 * <li>{@code tasks_open_by_project (project_id, rankings_count, created_at)}: {@code tasks_next_in_project}
 * has the same columns, the one order the queries ask for, and the id;</li>
 * <li>on PostgreSQL, {@code tasks_next_in_project} itself: choosing the next task uses the partial
 * {@code tasks_open_next_in_project} (V7_1) and everything else only looks tasks up by project, for which
 * a plain {@code tasks_by_project (project_id)} is smaller and never changes on a submission.</li>
 * </ul>
 */
public class V8_1__Fewer_task_and_response_indexes extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        boolean postgres = context.getConnection().getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
        try (Statement statement = context.getConnection().createStatement()) {
            statement.execute("DROP INDEX responses_by_prompt");
            statement.execute("DROP INDEX tasks_open_by_project");
            if (postgres) {
                statement.execute("CREATE INDEX tasks_by_project ON tasks (project_id)");
                statement.execute("DROP INDEX tasks_next_in_project");
            }
        }
    }
}
