package dev.rlhf.feedback.annotator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;

/** An annotator's own progress in their projects: for the home screen. */
@Service
public class AnnotatorProgressService {

    private final JdbcClient jdbc;
    private final ProjectService projects;
    private final AnnotatorService annotators;

    public AnnotatorProgressService(JdbcClient jdbc, ProjectService projects, AnnotatorService annotators) {
        this.jdbc = jdbc;
        this.projects = projects;
        this.annotators = annotators;
    }

    /**
     * @param ranked    rankings this annotator submitted in the project
     * @param available tasks still needing rankings that this annotator has not ranked or skipped
     */
    public record ProjectProgress(Project project, long ranked, long available) {
    }

    /** The projects this account may see (an annotator's own projects; all of them for an admin), with its progress in each. */
    public List<ProjectProgress> progressOf(String username) {
        Annotator account = annotators.byUsername(username);
        UUID me = account.id();
        Map<UUID, Long> ranked = new HashMap<>();
        jdbc.sql("SELECT project_id, count(*) AS n FROM rankings WHERE annotator_id = ? GROUP BY project_id").param(me)
                .query(rs -> {
                    ranked.put(rs.getObject("project_id", UUID.class), rs.getLong("n"));
                });
        Map<UUID, Long> available = new HashMap<>();
        jdbc.sql("""
                        SELECT t.project_id, count(*) AS n FROM tasks t
                        WHERE t.rankings_count < t.annotators_needed
                          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.annotator_id = ?
                                          AND a.status IN ('SUBMITTED', 'SKIPPED'))
                        GROUP BY t.project_id""")
                .param(me)
                .query(rs -> {
                    available.put(rs.getObject("project_id", UUID.class), rs.getLong("n"));
                });
        return projects.visibleTo(account).stream()
                .map(p -> new ProjectProgress(p, ranked.getOrDefault(p.id(), 0L), available.getOrDefault(p.id(), 0L)))
                .toList();
    }
}
