package dev.rlhf.feedback.project;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;
import dev.rlhf.schemas.ranking.FeedbackMode;

@Service
public class ProjectService {

    /** The width of {@code projects.name}. */
    public static final int MAX_NAME_CHARS = 200;
    public static final int MAX_GUIDELINES_CHARS = 100_000;

    /**
     * How long {@link #get} may answer from memory. Every "next task" request needs its project's
     * settings, which rarely change: the cache saves a round trip per request. This process forgets a
     * project it updates at once; another instance sharing the database sees the change within this time.
     */
    static final Duration CACHE_TTL = Duration.ofSeconds(5);

    private final ProjectRepository projects;
    private final ProjectMemberRepository members;
    private final Map<UUID, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Project project, long readAtNanos) {
    }

    public ProjectService(ProjectRepository projects, ProjectMemberRepository members) {
        this.projects = projects;
        this.members = members;
    }

    /**
     * What a project is created or reconfigured with; nulls take the documented defaults.
     *
     * @param feedbackMode ranking (default), pairwise (needs responsesPerTask 2, its default then), rating or binary
     */
    public record ProjectSettings(String name, String guidelines, Integer responsesPerTask, Integer annotatorsPerTask,
                                  Integer leaseSeconds, String feedbackMode) {

        /** Settings of a ranking project. */
        public ProjectSettings(String name, String guidelines, Integer responsesPerTask, Integer annotatorsPerTask, Integer leaseSeconds) {
            this(name, guidelines, responsesPerTask, annotatorsPerTask, leaseSeconds, null);
        }
    }

    @Transactional
    public Project create(ProjectSettings s) {
        Project p = validate(UUID.randomUUID(), s, Instant.now(), FeedbackMode.RANKING);
        if (projects.findByName(p.name()).isPresent()) {
            throw ApiException.conflict("A project named '" + p.name() + "' already exists");
        }
        projects.insert(p);
        return p;
    }

    @Transactional
    public Project update(UUID id, ProjectSettings s) {
        Project existing = get(id);
        Project p = validate(id, s, existing.createdAt(), existing.feedbackMode());
        projects.findByName(p.name()).filter(other -> !other.id().equals(id)).ifPresent(other -> {
            throw ApiException.conflict("A project named '" + p.name() + "' already exists");
        });
        projects.update(p);
        forget(id);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            // A request between the line above and the commit may have cached the old settings again.
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    forget(id);
                }
            });
        }
        return p;
    }

    /** The project, as read at most {@link #CACHE_TTL} ago. */
    public Project get(UUID id) {
        Cached cached = cache.get(id);
        long now = System.nanoTime();
        if (cached != null && now - cached.readAtNanos() < CACHE_TTL.toNanos()) {
            return cached.project();
        }
        Project project = projects.findById(id).orElseThrow(() -> notFound(id));
        cache.put(id, new Cached(project, now));
        return project;
    }

    private void forget(UUID id) {
        cache.remove(id);
    }

    public List<Project> all() {
        return projects.findAll();
    }

    /** The projects this account may see: every project for an admin, else those it is a member of. */
    public List<Project> visibleTo(Annotator account) {
        return account.isAdmin() ? all() : projects.findByMember(account.id());
    }

    /**
     * The project, if this account may see it. A project an annotator is not a member of answers 404
     * with the same message as one that does not exist, so its existence does not leak.
     */
    public Project getVisible(UUID id, Annotator account) {
        Project project = get(id);
        if (!account.isAdmin() && !members.isMember(id, account.id())) {
            throw notFound(id);
        }
        return project;
    }

    /** The answer to a project that does not exist, or that the caller may not see. */
    public static ApiException notFound(UUID id) {
        return ApiException.notFound("No project " + id);
    }

    /** {@code s} checked; a null feedback mode keeps {@code currentMode}. */
    private static Project validate(UUID id, ProjectSettings s, Instant createdAt, FeedbackMode currentMode) {
        String name = s.name() == null ? "" : s.name().strip();
        if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
            throw ApiException.invalid("name", "name is required (1 to " + MAX_NAME_CHARS + " characters)");
        }
        Inputs.text("name", name, MAX_NAME_CHARS);
        String guidelines = s.guidelines() == null ? "" : Inputs.text("guidelines", s.guidelines(), MAX_GUIDELINES_CHARS);
        FeedbackMode mode;
        try {
            mode = s.feedbackMode() == null ? currentMode : FeedbackMode.fromWire(s.feedbackMode());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("feedbackMode", e.getMessage());
        }
        int k = s.responsesPerTask() != null ? s.responsesPerTask() : mode == FeedbackMode.PAIRWISE ? 2 : Project.DEFAULT_RESPONSES_PER_TASK;
        if (mode == FeedbackMode.PAIRWISE && k != 2) {
            throw ApiException.invalid("responsesPerTask", "a pairwise project shows exactly 2 responses per task, not " + k);
        }
        int n = s.annotatorsPerTask() == null ? Project.DEFAULT_ANNOTATORS_PER_TASK : s.annotatorsPerTask();
        int lease = s.leaseSeconds() == null ? Project.DEFAULT_LEASE_SECONDS : s.leaseSeconds();
        if (k < 2 || k > 16) {
            throw ApiException.invalid("responsesPerTask", "responsesPerTask must be between 2 and 16, not " + k);
        }
        if (n < 1 || n > 50) {
            throw ApiException.invalid("annotatorsPerTask", "annotatorsPerTask must be between 1 and 50, not " + n);
        }
        if (lease < 30 || lease > 7 * 24 * 3600) {
            throw ApiException.invalid("leaseSeconds", "leaseSeconds must be between 30 and 604800, not " + lease);
        }
        return new Project(id, name, guidelines, k, n, lease, createdAt, mode);
    }
}
