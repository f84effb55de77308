package dev.rlhf.feedback.project;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.schemas.ranking.FeedbackMode;

@Repository
public class ProjectRepository {

    private static final String COLUMNS = "id, name, guidelines, responses_per_task, annotators_per_task, lease_seconds, created_at, feedback_mode";
    private final JdbcClient jdbc;

    public ProjectRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(Project p) {
        jdbc.sql("INSERT INTO projects (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .params(p.id(), p.name(), p.guidelines(), p.responsesPerTask(), p.annotatorsPerTask(), p.leaseSeconds(),
                        OffsetDateTime.ofInstant(p.createdAt(), ZoneOffset.UTC), p.feedbackMode().wireName())
                .update();
    }

    public void update(Project p) {
        jdbc.sql("UPDATE projects SET name = ?, guidelines = ?, responses_per_task = ?, annotators_per_task = ?, lease_seconds = ?, feedback_mode = ? WHERE id = ?")
                .params(p.name(), p.guidelines(), p.responsesPerTask(), p.annotatorsPerTask(), p.leaseSeconds(), p.feedbackMode().wireName(),
                        p.id())
                .update();
    }

    public Optional<Project> findById(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM projects WHERE id = ?").param(id).query(ProjectRepository::map).optional();
    }

    public Optional<Project> findByName(String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM projects WHERE name = ?").param(name).query(ProjectRepository::map).optional();
    }

    public List<Project> findAll() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM projects ORDER BY created_at, name").query(ProjectRepository::map).list();
    }

    /** The projects the annotator is a member of, in the order of {@link #findAll}. */
    public List<Project> findByMember(UUID annotatorId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM projects WHERE id IN (SELECT project_id FROM project_members WHERE annotator_id = ?) "
                        + "ORDER BY created_at, name")
                .param(annotatorId).query(ProjectRepository::map).list();
    }

    private static Project map(ResultSet rs, int row) throws SQLException {
        return new Project(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("guidelines"),
                rs.getInt("responses_per_task"), rs.getInt("annotators_per_task"), rs.getInt("lease_seconds"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(), FeedbackMode.fromWire(rs.getString("feedback_mode")));
    }
}
