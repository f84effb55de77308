package dev.rlhf.feedback.project;

import java.security.Principal;
import java.util.List;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;

@RestController
@RequestMapping("/api/v1/projects")
public class ProjectController {

    private final ProjectService projects;
    private final ProjectMemberService members;
    private final AnnotatorService annotators;

    public ProjectController(ProjectService projects, ProjectMemberService members, AnnotatorService annotators) {
        this.projects = projects;
        this.members = members;
        this.annotators = annotators;
    }

    /** {@link ProjectService.ProjectSettings}, and optionally the usernames of the project's first members. */
    public record NewProject(String name, String guidelines, Integer responsesPerTask, Integer annotatorsPerTask, Integer leaseSeconds,
                             List<String> members, String feedbackMode) {
        ProjectService.ProjectSettings settings() {
            return new ProjectService.ProjectSettings(name, guidelines, responsesPerTask, annotatorsPerTask, leaseSeconds, feedbackMode);
        }
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public Project create(@RequestBody NewProject request) {
        return members.createProject(request.settings(), request.members());
    }

    @PutMapping("/{projectId}")
    @PreAuthorize("hasRole('ADMIN')")
    public Project update(@PathVariable UUID projectId, @RequestBody ProjectService.ProjectSettings settings) {
        return projects.update(projectId, settings);
    }

    /** Every project for an admin; an annotator's own projects (those they are a member of). */
    @GetMapping
    public List<Project> list(Principal caller) {
        return projects.visibleTo(annotators.of(caller));
    }

    /** 404 for a project that does not exist, and for one the calling annotator is not a member of. */
    @GetMapping("/{projectId}")
    public Project get(@PathVariable UUID projectId, Principal caller) {
        return projects.getVisible(projectId, annotators.of(caller));
    }

    /** The usernames an admin adds, removes or sets as a project's members. */
    public record Usernames(List<String> usernames) {
        List<String> required() {
            if (usernames == null) {
                throw ApiException.badRequest("usernames is required: {\"usernames\": [\"alice\", ...]}");
            }
            return usernames;
        }
    }

    @GetMapping("/{projectId}/members")
    @PreAuthorize("hasRole('ADMIN')")
    public List<ProjectMemberRepository.Member> members(@PathVariable UUID projectId) {
        return members.members(projectId);
    }

    /** Adds members (those already members stay); answers the members after the change. */
    @PostMapping("/{projectId}/members")
    @PreAuthorize("hasRole('ADMIN')")
    public List<ProjectMemberRepository.Member> addMembers(@PathVariable UUID projectId, @RequestBody Usernames request) {
        return members.add(projectId, request.required());
    }

    /** Makes exactly these accounts the members; answers the members after the change. */
    @PutMapping("/{projectId}/members")
    @PreAuthorize("hasRole('ADMIN')")
    public List<ProjectMemberRepository.Member> replaceMembers(@PathVariable UUID projectId, @RequestBody Usernames request) {
        return members.replace(projectId, request.required());
    }

    /** Removes a member and ends their open leases in the project; 204 also when they were no member. */
    @DeleteMapping("/{projectId}/members/{username}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void removeMember(@PathVariable UUID projectId, @PathVariable String username) {
        members.remove(projectId, username);
    }
}
