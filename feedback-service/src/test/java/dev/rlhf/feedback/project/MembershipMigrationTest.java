package dev.rlhf.feedback.project;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.UUID;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import dev.rlhf.feedback.testing.TestPostgres;

/**
 * Upgrading a database from before memberships: every existing annotator becomes a member of every
 * existing project (before, all of them could work on all of them), so nobody is locked out; admins
 * get no rows (they need none), and what is created afterwards starts with no memberships.
 */
class MembershipMigrationTest {

    /** The migration that brings memberships. */
    private static final MigrationVersion MEMBERSHIPS = MigrationVersion.fromVersion("10.4");

    @Test
    void upgradeOnPostgresqlKeepsEveryAnnotatorInEveryExistingProject() throws Exception {
        String schema = TestPostgres.newSchema();
        var postgres = new DriverManagerDataSource(TestPostgres.url(schema), TestPostgres.USER, null);
        try {
            upgradeKeepsAccess(Flyway.configure().dataSource(postgres).schemas(schema), postgres);
        } finally {
            try (Connection c = DriverManager.getConnection(TestPostgres.BASE_URL, TestPostgres.USER, null); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @Test
    void upgradeOnTheEmbeddedDatabaseKeepsEveryAnnotatorInEveryExistingProject() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:members-" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        upgradeKeepsAccess(Flyway.configure().dataSource(h2), h2);
    }

    private static void upgradeKeepsAccess(org.flywaydb.core.api.configuration.FluentConfiguration flyway, DataSource db) {
        // The "old" database: every migration before memberships.
        MigrationVersion before = Arrays.stream(flyway.load().info().all()).map(MigrationInfo::getVersion)
                .filter(v -> v.compareTo(MEMBERSHIPS) < 0).max(Comparator.naturalOrder()).orElseThrow();
        flyway.target(before).load().migrate();
        JdbcClient jdbc = JdbcClient.create(db);
        UUID stories = project(jdbc, "stories");
        UUID code = project(jdbc, "code");
        UUID ann = account(jdbc, "ann", "ANNOTATOR");
        UUID both = account(jdbc, "boss", "ADMIN,ANNOTATOR");
        account(jdbc, "root", "ADMIN");

        flyway.target("latest").load().migrate();

        assertThat(jdbc.sql("SELECT a.username || '@' || p.name FROM project_members m JOIN annotators a ON a.id = m.annotator_id "
                        + "JOIN projects p ON p.id = m.project_id ORDER BY 1").query(String.class).list())
                .containsExactly("ann@code", "ann@stories", "boss@code", "boss@stories");
        var members = new ProjectMemberRepository(jdbc);
        assertThat(members.isMember(stories, ann)).isTrue();
        assertThat(members.isMember(code, both)).isTrue();

        UUID later = project(jdbc, "later");
        UUID newcomer = account(jdbc, "newcomer", "ANNOTATOR");
        assertThat(members.members(later)).as("a project created after the upgrade starts with no members").isEmpty();
        assertThat(members.isMember(stories, newcomer)).as("nor does a later account join existing projects").isFalse();
    }

    private static UUID project(JdbcClient jdbc, String name) {
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO projects (id, name, guidelines, responses_per_task, annotators_per_task, lease_seconds) VALUES (?, ?, '', 4, 3, 600)")
                .params(id, name).update();
        return id;
    }

    private static UUID account(JdbcClient jdbc, String username, String roles) {
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO annotators (id, username, password_hash, roles) VALUES (?, ?, '{noop}x', ?)").params(id, username, roles).update();
        return id;
    }
}
