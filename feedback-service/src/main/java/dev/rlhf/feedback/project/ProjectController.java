package dev.rlhf.feedback.project;

import java.util.List;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/projects")
public class ProjectController {

    private final ProjectService projects;

    public ProjectController(ProjectService projects) {
        this.projects = projects;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public Project create(@RequestBody ProjectService.ProjectSettings settings) {
        return projects.create(settings);
    }

    @PutMapping("/{projectId}")
    @PreAuthorize("hasRole('ADMIN')")
    public Project update(@PathVariable UUID projectId, @RequestBody ProjectService.ProjectSettings settings) {
        return projects.update(projectId, settings);
    }

    @GetMapping
    public List<Project> list() {
        return projects.all();
    }

    @GetMapping("/{projectId}")
    public Project get(@PathVariable UUID projectId) {
        return projects.get(projectId);
    }
}
