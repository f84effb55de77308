package dev.rlhf.feedback.export;

import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Deletes a test project and everything in it, and the accounts named {@code *-<suffix>} it made.
 * Integration test classes share one database schema, and other tests count projects, so these
 * tests leave nothing behind.
 */
public final class ProjectCleanup {

    private ProjectCleanup() {
    }

    public static void delete(JdbcClient jdbc, UUID project, String accountSuffix) {
        jdbc.sql("DELETE FROM rankings WHERE project_id = ?").param(project).update();
        jdbc.sql("DELETE FROM assignments WHERE task_id IN (SELECT id FROM tasks WHERE project_id = ?)").param(project).update();
        jdbc.sql("DELETE FROM tasks WHERE project_id = ?").param(project).update();
        jdbc.sql("DELETE FROM responses WHERE prompt_id IN (SELECT id FROM prompts WHERE project_id = ?)").param(project).update();
        jdbc.sql("DELETE FROM prompts WHERE project_id = ?").param(project).update();
        jdbc.sql("DELETE FROM projects WHERE id = ?").param(project).update();
        if (accountSuffix != null) {
            jdbc.sql("DELETE FROM annotators WHERE username LIKE ?").param("%-" + accountSuffix).update();
        }
    }
}
