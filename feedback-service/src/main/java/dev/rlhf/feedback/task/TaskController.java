package dev.rlhf.feedback.task;

import java.security.Principal;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.annotator.AnnotatorService;

/** The annotator's side: take the next task, rank it, or give it back. */
@RestController
@RequestMapping("/api/v1/tasks")
public class TaskController {

    private final TaskService tasks;
    private final SubmissionService submissions;
    private final AnnotatorService annotators;

    public TaskController(TaskService tasks, SubmissionService submissions, AnnotatorService annotators) {
        this.tasks = tasks;
        this.submissions = submissions;
        this.annotators = annotators;
    }

    /** The caller's next task in the project, or 204 when none is left for them. */
    @GetMapping("/next")
    public ResponseEntity<NextTask> next(@RequestParam UUID projectId, Principal caller) {
        return tasks.next(annotators.of(caller), projectId).map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.noContent().build());
    }

    /** 201 once the ranking and its event are committed. */
    @PostMapping("/{taskId}/ranking")
    @ResponseStatus(HttpStatus.CREATED)
    public SubmissionService.Submitted submit(@PathVariable UUID taskId, @RequestBody RankingSubmission body, Principal caller) {
        return submissions.submit(annotators.of(caller), taskId, body);
    }

    public record SkipRequest(String reason) {
    }

    @PostMapping("/{taskId}/skip")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void skip(@PathVariable UUID taskId, @RequestBody(required = false) SkipRequest body, Principal caller) {
        tasks.skip(caller.getName(), taskId, body == null ? null : body.reason());
    }
}
