package dev.rlhf.feedback.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.testing.IntegrationTest;

class PolicyVersionServiceTest extends IntegrationTest {

    @Autowired
    ProjectService projects;
    @Autowired
    PromptRepository prompts;
    @Autowired
    RankingRepository rankings;
    @Autowired
    PolicyVersionService policies;

    @Test
    void reportsVersionsInOrderOfAppearanceAndTheNewerOnesWinRate() throws Exception {
        UUID project = projects.create(new ProjectService.ProjectSettings("policies", "", 2, 1, null)).id();
        for (int i = 0; i < 3; i++) {
            UUID prompt = prompts.insertPromptIfAbsent(project, Conversation.ofUser("story " + i), "api", null).id();
            UUID old = prompts.insertResponseIfAbsent(prompt, "old " + i, null, "v1", -3.0).id();
            Thread.sleep(5); // v2's responses arrive later, as a new policy's do
            UUID fresh = prompts.insertResponseIfAbsent(prompt, "new " + i, null, "v2", -2.0).id();
            // The newer policy wins two of three comparisons.
            List<List<UUID>> groups = i < 2 ? List.of(List.of(fresh), List.of(old)) : List.of(List.of(old), List.of(fresh));
            rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, prompt, project, null, "annotator",
                    groups, Map.of(), false, null, 1000L, Instant.now()));
        }

        var report = policies.report(project);

        assertThat(report.versions()).extracting(PolicyVersionService.PolicyVersion::version).containsExactly("v1", "v2");
        assertThat(report.versions()).extracting(PolicyVersionService.PolicyVersion::responses).containsExactly(3L, 3L);
        assertThat(report.winRates()).singleElement().satisfies(w -> {
            assertThat(w.version()).isEqualTo("v2");
            assertThat(w.wins()).isEqualTo(2);
            assertThat(w.losses()).isEqualTo(1);
            assertThat(w.winRate()).isEqualTo(2.0 / 3);
        });

        var reply = admin().get("/api/v1/projects/" + project + "/policy-versions");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().get("versions").get(1).get("version").asString()).isEqualTo("v2");
        assertThat(reply.json().get("winRates").get(0).get("winRate").asDouble()).isEqualTo(2.0 / 3);
        admin().postJson("/api/v1/annotators", Map.of("username", "versions-reader", "password", "reader-password-1",
                "roles", List.of("ANNOTATOR")));
        assertThat(api("versions-reader", "reader-password-1").get("/api/v1/projects/" + project + "/policy-versions").status())
                .as("admins only").isEqualTo(403);
    }
}
