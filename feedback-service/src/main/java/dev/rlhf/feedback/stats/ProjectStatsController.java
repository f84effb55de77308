package dev.rlhf.feedback.stats;

import java.util.UUID;

import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/projects/{projectId}/stats}; admins only, as it rates each annotator. */
@RestController
public class ProjectStatsController {

    private final ProjectStatsService stats;

    public ProjectStatsController(ProjectStatsService stats) {
        this.stats = stats;
    }

    @GetMapping("/api/v1/projects/{projectId}/stats")
    @PreAuthorize("hasRole('ADMIN')")
    public ProjectStats stats(@PathVariable UUID projectId) {
        return stats.stats(projectId);
    }
}
