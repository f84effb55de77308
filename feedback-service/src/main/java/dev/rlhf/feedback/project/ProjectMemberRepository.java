package dev.rlhf.feedback.project;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorRepository;

/** Who is a member of which project ({@code project_members}). */
@Repository
public class ProjectMemberRepository {

    private final JdbcClient jdbc;

    public ProjectMemberRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A member as listed: the account (id, name, roles) and since when it is one. */
    public record Member(UUID id, String username, java.util.Set<Annotator.Role> roles, Instant addedAt) {
    }

    public boolean isMember(UUID projectId, UUID annotatorId) {
        return jdbc.sql("SELECT count(*) FROM project_members WHERE project_id = ? AND annotator_id = ?")
                .params(projectId, annotatorId).query(Integer.class).single() > 0;
    }

    /** Adds the membership unless it exists; true when it was added. */
    public boolean add(UUID projectId, UUID annotatorId, Instant at) {
        return jdbc.sql("INSERT INTO project_members (project_id, annotator_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .params(projectId, annotatorId, OffsetDateTime.ofInstant(at, ZoneOffset.UTC)).update() > 0;
    }

    /** True when there was such a membership. */
    public boolean remove(UUID projectId, UUID annotatorId) {
        return jdbc.sql("DELETE FROM project_members WHERE project_id = ? AND annotator_id = ?").params(projectId, annotatorId).update() > 0;
    }

    /** The project's members, by username. */
    public List<Member> members(UUID projectId) {
        return jdbc.sql("""
                        SELECT a.id, a.username, a.roles, m.added_at FROM project_members m JOIN annotators a ON a.id = m.annotator_id
                        WHERE m.project_id = ? ORDER BY a.username""")
                .param(projectId)
                .query((rs, row) -> {
                    return new Member(rs.getObject("id", UUID.class), rs.getString("username"), AnnotatorRepository.roles(rs.getString("roles")),
                            rs.getObject("added_at", OffsetDateTime.class).toInstant());
                })
                .list();
    }
}
