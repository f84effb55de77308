package dev.rlhf.feedback.project;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.task.TaskFixtures;
import dev.rlhf.feedback.task.TaskRepository;
import dev.rlhf.feedback.testing.IntegrationTest;
import dev.rlhf.feedback.testing.TestApi;
import tools.jackson.databind.JsonNode;

/**
 * Project memberships over real HTTP on PostgreSQL: an annotator sees, leases and ranks only in the
 * projects an admin made them a member of; admins see and manage every project.
 */
class ProjectMembersApiTest extends IntegrationTest {

    @Autowired
    PromptRepository prompts;
    @Autowired
    TaskRepository taskRepository;
    @Autowired
    JdbcClient jdbc;

    TaskFixtures fixtures;

    @BeforeEach
    void fixtures() {
        fixtures = new TaskFixtures(admin(), prompts, taskRepository);
    }

    @Test
    void aNonMemberCannotSeeLeaseOrRankUntilAddedAndLosesTheProjectAndItsLeaseWhenRemoved() {
        UUID project = fixtures.project("members-only", 2, 1, 600);
        var task = fixtures.task(project, "Which answer is kinder?", 2, 1);
        TestApi alice = api(fixtures.annotator("members-alice"), TaskFixtures.PASSWORD);
        TestApi bob = api(fixtures.annotator("members-bob", project), TaskFixtures.PASSWORD);
        var ranking = Map.of("ranking", List.of(List.of(task.responseIds().get(0).toString()), List.of(task.responseIds().get(1).toString())), "durationMs", 4200);

        // Not a member: the project is as invisible as one that does not exist.
        assertThat(names(alice.get("/api/v1/projects"))).doesNotContain("members-only");
        assertProblem(alice.get("/api/v1/projects/" + project), 404, "No project " + project);
        assertProblem(alice.get("/api/v1/tasks/next?projectId=" + project), 404, "No project " + project);
        assertProblem(alice.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403, "is not assigned to you");
        assertThat(alice.get("/api/v1/projects/" + project + "/members").status()).as("admins only").isEqualTo(403);
        assertThat(alice.postJson("/api/v1/projects/" + project + "/members", Map.of("usernames", List.of("members-alice"))).status())
                .as("annotators cannot add themselves").isEqualTo(403);
        assertThat(names(admin().get("/api/v1/projects"))).as("admins see every project").contains("members-only");

        // Added by an admin: the project, its guidelines and its tasks.
        assertProblem(admin().postJson("/api/v1/projects/" + project + "/members", Map.of("usernames", List.of("members-alice", "nobody-x"))),
                400, "No account named nobody-x; nothing was changed");
        assertThat(usernames(admin().get("/api/v1/projects/" + project + "/members"))).containsExactly("members-bob");
        var added = admin().postJson("/api/v1/projects/" + project + "/members", Map.of("usernames", List.of("members-alice")));
        assertThat(added.status()).as(added.body()).isEqualTo(200);
        assertThat(usernames(added)).containsExactly("members-alice", "members-bob");
        assertThat(names(alice.get("/api/v1/projects"))).containsExactly("members-only");
        assertThat(alice.get("/api/v1/projects/" + project).json().path("guidelines").asString()).isEqualTo("Guidelines of members-only");
        var leased = alice.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(leased.status()).as(leased.body()).isEqualTo(200);
        assertThat(leased.json().path("taskId").asString()).isEqualTo(task.taskId().toString());
        assertThat(bob.get("/api/v1/tasks/next?projectId=" + project).status()).as("the one slot is alice's").isEqualTo(204);

        // Removed: the project disappears, her open lease ends (the task goes to bob), her ranking is refused.
        assertThat(admin().delete("/api/v1/projects/" + project + "/members/members-alice").status()).isEqualTo(204);
        assertThat(admin().delete("/api/v1/projects/" + project + "/members/members-alice").status()).as("idempotent").isEqualTo(204);
        assertProblem(admin().delete("/api/v1/projects/" + project + "/members/nobody-y"), 404, "No account nobody-y");
        assertThat(names(alice.get("/api/v1/projects"))).isEmpty();
        assertProblem(alice.get("/api/v1/tasks/next?projectId=" + project), 404, "No project " + project);
        assertProblem(alice.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403, "you are not a member of its project");
        var bobs = bob.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(bobs.status()).as("alice's lease ended with her membership").isEqualTo(200);
        assertThat(bobs.json().path("taskId").asString()).isEqualTo(task.taskId().toString());

        // PUT sets exactly the members: alice back, bob out (his lease ends too); alice may rank again.
        var replaced = admin().putJson("/api/v1/projects/" + project + "/members", Map.of("usernames", List.of("members-alice")));
        assertThat(usernames(replaced)).containsExactly("members-alice");
        assertProblem(bob.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking), 403, "not a member");
        assertThat(alice.get("/api/v1/tasks/next?projectId=" + project).json().path("taskId").asString()).isEqualTo(task.taskId().toString());
        assertThat(alice.postJson("/api/v1/tasks/" + task.taskId() + "/ranking", ranking).status()).isEqualTo(201);
        assertThat(jdbc.sql("SELECT count(*) FROM rankings WHERE task_id = ?").param(task.taskId()).query(Integer.class).single()).isEqualTo(1);
    }

    @Test
    void disablingAnAccountEndsItsOpenLeasesAtOnce() {
        UUID project = fixtures.project("disable-ends-leases", 2, 1, 600);
        var task = fixtures.task(project, "Which answer is shorter?", 2, 1);
        TestApi frank = api(fixtures.annotator("members-frank", project), TaskFixtures.PASSWORD);
        TestApi gina = api(fixtures.annotator("members-gina", project), TaskFixtures.PASSWORD);
        var leased = frank.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(leased.status()).as(leased.body()).isEqualTo(200);
        assertThat(gina.get("/api/v1/tasks/next?projectId=" + project).status()).as("the one slot is frank's").isEqualTo(204);

        var disabled = admin().patchJson("/api/v1/annotators/members-frank", Map.of("disabled", true));
        assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
        var ginas = gina.get("/api/v1/tasks/next?projectId=" + project);
        assertThat(ginas.status()).as("frank's lease ended when his account was disabled").isEqualTo(200);
        assertThat(ginas.json().path("taskId").asString()).isEqualTo(task.taskId().toString());
    }

    @Test
    void projectsAndAccountsCanBeCreatedWithTheirMembershipsAndAdminsNeedNone() {
        TestApi carol = api(fixtures.annotator("members-carol"), TaskFixtures.PASSWORD);
        var created = admin().postJson("/api/v1/projects", Map.of("name", "created-with-members", "members", List.of("members-carol")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID project = UUID.fromString(created.json().path("id").asString());
        assertThat(names(carol.get("/api/v1/projects"))).containsExactly("created-with-members");

        assertProblem(admin().postJson("/api/v1/projects", Map.of("name", "with-a-stranger", "members", List.of("nobody-z"))), 400,
                "No account named nobody-z");
        assertThat(names(admin().get("/api/v1/projects"))).as("nothing was created").doesNotContain("with-a-stranger");

        var dave = admin().postJson("/api/v1/annotators", Map.of("username", "members-dave", "password", TaskFixtures.PASSWORD,
                "projects", List.of(project.toString())));
        assertThat(dave.status()).as(dave.body()).isEqualTo(201);
        assertThat(names(api("members-dave", TaskFixtures.PASSWORD).get("/api/v1/projects"))).containsExactly("created-with-members");
        UUID unknown = UUID.randomUUID();
        assertProblem(admin().postJson("/api/v1/annotators", Map.of("username", "members-erin", "password", TaskFixtures.PASSWORD,
                "projects", List.of(unknown.toString()))), 400, "projects names no project " + unknown);
        assertThat(api("members-erin", TaskFixtures.PASSWORD).get("/api/v1/projects").status()).as("no account was created").isEqualTo(401);

        var task = fixtures.task(project, "An admin ranks too", 2, 1);
        var adminsNext = admin().get("/api/v1/tasks/next?projectId=" + project);
        assertThat(adminsNext.json().path("taskId").asString()).as("admins need no membership").isEqualTo(task.taskId().toString());
        assertProblem(admin().get("/api/v1/projects/" + UUID.randomUUID() + "/members"), 404, "No project");
    }

    private static List<String> names(TestApi.Reply projects) {
        assertThat(projects.status()).as(projects.body()).isEqualTo(200);
        return projects.json().valueStream().map(p -> p.path("name").asString()).toList();
    }

    private static List<String> usernames(TestApi.Reply members) {
        assertThat(members.status()).as(members.body()).isEqualTo(200);
        return members.json().valueStream().map((JsonNode m) -> m.path("username").asString()).toList();
    }

    private static void assertProblem(TestApi.Reply reply, int status, String detail) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.json().path("detail").asString()).contains(detail);
    }
}
