package dev.rlhf.feedback.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Prompt;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.prompt.Response;

/**
 * Hands out ranking tasks. Each task needs {@code annotatorsNeeded} distinct annotators; a lease
 * holds one of those slots until it expires; nobody gets a task they submitted or skipped.
 */
@Service
public class TaskService {

    public static final int MAX_SKIP_REASON_CHARS = 500;
    /** Open tasks one leasing round tries, best first, skipping those other requests hold right now. */
    private static final int CANDIDATES_PER_ROUND = 10;
    /** How long a request keeps trying while every open task is momentarily held by other requests. */
    private static final Duration CONTENTION_DEADLINE = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);

    private final AssignmentRepository assignments;
    private final ProjectService projects;
    private final PromptRepository prompts;
    private final AnnotatorService annotators;
    private final TransactionOperations tx;
    private final Clock clock;

    public TaskService(AssignmentRepository assignments, ProjectService projects, PromptRepository prompts, AnnotatorService annotators,
                       TransactionOperations tx, Clock clock) {
        this.assignments = assignments;
        this.projects = projects;
        this.prompts = prompts;
        this.annotators = annotators;
        this.tx = tx;
        this.clock = clock;
    }

    /** The caller's current task in the project (their unexpired lease), else a newly leased one; empty when none is left. */
    public Optional<NextTask> next(String username, UUID projectId) {
        return next(annotators.byUsername(username), projectId);
    }

    /** As {@link #next(String, UUID)}, for a caller whose account is at hand. */
    public Optional<NextTask> next(Annotator annotator, UUID projectId) {
        Project project = projects.get(projectId);
        long deadline = System.nanoTime() + CONTENTION_DEADLINE.toNanos();
        for (int round = 1; ; round++) {
            Lease lease = tx.execute(status -> leaseRound(annotator, project));
            switch (lease) {
                case Lease.Granted granted -> {
                    return Optional.of(show(project, granted.assignment(), granted.prompt()));
                }
                case Lease.NoneOpen none -> {
                    return Optional.empty();
                }
                case Lease.NotMember notMember -> throw ProjectService.notFound(projectId);
                case Lease.Contended contended -> {
                    if (System.nanoTime() > deadline) {
                        log.debug("Every open task of project {} stayed busy for {}; answering none", projectId, CONTENTION_DEADLINE);
                        return Optional.empty();
                    }
                    // Other requests hold the open tasks for a few milliseconds: try again, a little later each time.
                    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1, 1 + Math.min(round, 10)) * 2_000_000L);
                }
            }
        }
    }

    /** The outcome of one leasing transaction. */
    private sealed interface Lease {
        /** {@code prompt} is the task's prompt as read under the task's lock, or null when the lease was found, not made. */
        record Granted(Assignment assignment, PromptRepository.PromptWithResponses prompt) implements Lease { }

        record NoneOpen() implements Lease { }

        /** The caller is neither a member of the project nor an admin: to them it does not exist. */
        record NotMember() implements Lease { }

        /** Open tasks exist, but other transactions held or just took them: worth another round. */
        record Contended() implements Lease { }
    }

    /**
     * One short transaction: the annotator's row lock serializes their own parallel requests; task
     * rows are locked with SKIP LOCKED, so a round never waits on another and never deadlocks.
     * Only a member of the project (or an admin) gets a lease; membership is read with the annotator's lock.
     * Usually five round trips: the annotator's lock, their lease or the candidates, a task's lock,
     * what the lease depends on (with the prompt to show), the new assignment; then the commit.
     */
    private Lease leaseRound(Annotator annotator, Project project) {
        UUID annotatorId = annotator.id();
        if (annotator.isAdmin()) {
            assignments.lockAnnotator(annotatorId);
        } else if (!assignments.lockAnnotatorAndCheckMember(annotatorId, project.id())) {
            return new Lease.NotMember();
        }
        Instant now = clock.instant();
        AssignmentRepository.OpenWork open = assignments.findLeaseOrCandidates(project.id(), annotatorId, now, CANDIDATES_PER_ROUND);
        if (open.holdsLease()) {
            return new Lease.Granted(assignments.findActiveLease(annotatorId, project.id(), now).orElseThrow(), null);
        }
        if (open.candidates().isEmpty()) {
            return new Lease.NoneOpen();
        }
        for (UUID candidate : open.candidates()) {
            Optional<Task> locked = assignments.tryLockTask(candidate);
            if (locked.isPresent()) {
                Optional<Lease.Granted> taken = tryLease(locked.get(), annotatorId, project, now);
                if (taken.isPresent()) {
                    return taken.get();
                }
            }
        }
        return new Lease.Contended();
    }

    /** Under the task's row lock: take a free slot, re-using this annotator's expired lease row if there is one. */
    private Optional<Lease.Granted> tryLease(Task task, UUID annotatorId, Project project, Instant now) {
        UUID taskId = task.id();
        AssignmentRepository.LeaseCheck check = assignments.checkLockedTask(task, annotatorId, now, prompts.rows());
        int taken = task.rankingsCount() + check.othersActiveLeases();
        if (taken >= task.annotatorsNeeded() || (check.myStatus() != null && !check.myStatus().equals(Assignment.LEASED))) {
            return Optional.empty();
        }
        Instant expires = now.plusSeconds(project.leaseSeconds());
        if (check.myStatus() != null) {
            // Rare: the caller's own expired lease, taken up again with the order they were shown.
            Assignment a = assignments.find(taskId, annotatorId).orElseThrow();
            assignments.renewLease(a.id(), now, expires);
            return Optional.of(new Lease.Granted(new Assignment(a.id(), taskId, annotatorId, a.shownOrder(), Assignment.LEASED, now, expires),
                    check.prompt()));
        }
        List<UUID> shown = new ArrayList<>(task.responseIds());
        Collections.shuffle(shown, ThreadLocalRandom.current());
        Assignment a = new Assignment(UUID.randomUUID(), taskId, annotatorId, List.copyOf(shown), Assignment.LEASED, now, expires);
        assignments.insert(a);
        return Optional.of(new Lease.Granted(a, check.prompt()));
    }

    private NextTask show(Project project, Assignment a, PromptRepository.PromptWithResponses read) {
        // A task's prompt and responses never change: what was read under the task's lock serves here.
        PromptRepository.PromptWithResponses found = read != null ? read
                : prompts.findPromptWithResponses(assignments.findTask(a.taskId()).orElseThrow().promptId(), a.shownOrder()).orElseThrow();
        Prompt prompt = found.prompt();
        Map<UUID, Response> byId = found.responses().stream().collect(Collectors.toMap(Response::id, Function.identity()));
        List<NextTask.ShownResponse> shown = a.shownOrder().stream()
                .map(id -> new NextTask.ShownResponse(id, byId.get(id).text())).toList();
        return new NextTask(a.taskId(), project.id(), prompt.conversation(), project.guidelines(), shown, a.leaseExpiresAt(), project.feedbackMode());
    }

    /** Gives the task back: its slot is free again and this annotator is never offered it again. */
    public void skip(String username, UUID taskId, String reason) {
        Inputs.text("reason", reason, MAX_SKIP_REASON_CHARS);
        Annotator annotator = annotators.byUsername(username);
        tx.executeWithoutResult(status -> {
            assignments.lockTask(taskId).orElseThrow(() -> ApiException.notFound("No task " + taskId));
            Assignment a = assignments.find(taskId, annotator.id())
                    .orElseThrow(() -> ApiException.forbidden("Task " + taskId + " is not assigned to you"));
            switch (a.status()) {
                case Assignment.SUBMITTED -> throw ApiException.conflict("You already submitted a ranking for task " + taskId);
                case Assignment.SKIPPED -> { }
                default -> assignments.markSkipped(a.id(), reason);
            }
        });
    }
}
