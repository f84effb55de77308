package dev.rlhf.feedback.project;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorRepository;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.feedback.project.ProjectMemberRepository.Member;
import dev.rlhf.feedback.task.AssignmentRepository;

/**
 * Project memberships, managed by admins: an annotator sees a project, its guidelines and its tasks
 * only while they are a member of it (admins see every project without one).
 *
 * <p>Removing a member ends their open leases in the project at once: those tasks go back to the pool
 * for the other members, and a ranking the removed annotator sends for one afterwards is refused
 * (403). Rankings they already submitted stay, in the stats and the exports alike.
 */
@Service
public class ProjectMemberService {

    private final ProjectMemberRepository members;
    private final ProjectService projects;
    private final AnnotatorRepository accounts;
    private final AnnotatorService annotators;
    private final AssignmentRepository assignments;
    private final TransactionOperations tx;
    private final Clock clock;

    public ProjectMemberService(ProjectMemberRepository members, ProjectService projects, AnnotatorRepository accounts,
                                AnnotatorService annotators, AssignmentRepository assignments, TransactionOperations tx, Clock clock) {
        this.members = members;
        this.projects = projects;
        this.accounts = accounts;
        this.annotators = annotators;
        this.assignments = assignments;
        this.tx = tx;
        this.clock = clock;
    }

    public List<Member> members(UUID projectId) {
        projects.get(projectId);
        return members.members(projectId);
    }

    /** Adds these accounts (by username) as members; those already members stay as they are. All or nothing. */
    public List<Member> add(UUID projectId, Collection<String> usernames) {
        return tx.execute(status -> {
            projects.get(projectId);
            for (Annotator a : resolve("usernames", usernames).values()) {
                members.add(projectId, a.id(), clock.instant());
            }
            return members.members(projectId);
        });
    }

    /** Makes exactly these accounts the members: adds the new ones, removes the others (as {@link #remove}). All or nothing. */
    public List<Member> replace(UUID projectId, Collection<String> usernames) {
        return tx.execute(status -> {
            projects.get(projectId);
            Map<String, Annotator> wanted = resolve("usernames", usernames);
            for (Member current : members.members(projectId)) {
                if (!wanted.containsKey(current.username())) {
                    removeMember(projectId, current.id());
                }
            }
            for (Annotator a : wanted.values()) {
                members.add(projectId, a.id(), clock.instant());
            }
            return members.members(projectId);
        });
    }

    /**
     * Removes the account from the project and ends its open leases there. Idempotent: removing a
     * non-member changes nothing. 404 when the project or the account does not exist.
     */
    public void remove(UUID projectId, String username) {
        tx.executeWithoutResult(status -> {
            projects.get(projectId);
            Inputs.text("username", username, AnnotatorService.MAX_USERNAME_CHARS);
            Annotator a = accounts.findByUsername(username).orElseThrow(() -> ApiException.notFound("No account " + username));
            removeMember(projectId, a.id());
        });
    }

    /** Inside a transaction: the annotator's row lock first, so no lease of theirs is being granted meanwhile. */
    private void removeMember(UUID projectId, UUID annotatorId) {
        assignments.lockAnnotator(annotatorId);
        members.remove(projectId, annotatorId);
        assignments.endLeases(annotatorId, projectId, clock.instant());
    }

    /** A new account and its memberships, in one transaction (either both exist afterwards or neither). */
    public Annotator createAccount(String username, String password, Set<Annotator.Role> roles, List<UUID> projectIds) {
        return tx.execute(status -> {
            Inputs.noNulls("projects", projectIds);
            Annotator created = annotators.create(username, password, roles);
            for (UUID projectId : projectIds == null ? List.<UUID>of() : projectIds) {
                if (projectId == null || !exists(projectId)) {
                    throw ApiException.badRequest("projects names no project " + projectId);
                }
                members.add(projectId, created.id(), clock.instant());
            }
            return created;
        });
    }

    private boolean exists(UUID projectId) {
        try {
            projects.get(projectId);
            return true;
        } catch (ApiException notFound) {
            return false;
        }
    }

    /** A new project and its first members, in one transaction. */
    public Project createProject(ProjectService.ProjectSettings settings, Collection<String> usernames) {
        return tx.execute(status -> {
            Project created = projects.create(settings);
            for (Annotator a : resolve("members", usernames).values()) {
                members.add(created.id(), a.id(), clock.instant());
            }
            return created;
        });
    }

    /**
     * The accounts by username, in the order given; 400 naming {@code field[i]} for a null or unstorable
     * username (a NUL, too long), else 400 naming every username that has no account.
     */
    private Map<String, Annotator> resolve(String field, Collection<String> usernames) {
        List<String> given = usernames == null ? List.of() : new ArrayList<>(usernames);
        Inputs.noNulls(field, given);
        for (int i = 0; i < given.size(); i++) {
            Inputs.text(field + "[" + i + "]", given.get(i), AnnotatorService.MAX_USERNAME_CHARS);
        }
        Map<String, Annotator> found = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (String name : new LinkedHashSet<>(given)) {
            accounts.findByUsername(name).ifPresentOrElse(a -> found.put(name, a), () -> unknown.add(name));
        }
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("No account named " + String.join(", ", unknown) + "; nothing was changed");
        }
        return found;
    }
}
