package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import dev.rlhf.feedback.testing.IntegrationTest;

/** The services behind the admin console: gold items, uploaded (gzip) import files, listing and revoking API tokens. */
class GoldItemServiceTest extends IntegrationTest {

    @Autowired
    GoldItemService goldItems;
    @Autowired
    GoldRankingRepository goldRankings;
    @Autowired
    ImportService imports;
    @Autowired
    ProjectService projects;
    @Autowired
    AnnotatorService accounts;
    @Autowired
    ApiTokenService tokens;
    @Autowired
    JdbcClient jdbc;

    @Test
    void goldRankingsAreValidatedAgainstThePromptsResponsesLineByLine() {
        Project project = projects.create(new ProjectService.ProjectSettings("gold-" + UUID.randomUUID(), "", 3, 1, 600));
        imports.importItems(project.id(), ImportFormat.RESPONSES, stream("""
                {"prompt": "Name a prime.", "responses": [{"text": "2"}, {"text": "4"}, {"text": "7"}]}
                """));
        UUID prompt = jdbc.sql("SELECT id FROM prompts WHERE project_id = ?").param(project.id()).query(UUID.class).single();
        List<UUID> r = jdbc.sql("SELECT id FROM responses WHERE prompt_id = ? ORDER BY text").param(prompt).query(UUID.class).list();
        UUID two = r.get(0);
        UUID four = r.get(1);
        UUID seven = r.get(2);
        UUID stranger = UUID.randomUUID();

        GoldItemService.GoldImportResult result = goldItems.importGold(project.id(), stream(String.join("\n",
                "{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\", \"%s\"], [\"%s\"]]}".formatted(prompt, two, seven, four),
                "{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\"], [\"%s\"]]}".formatted(prompt, two, four),
                "{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\"], [\"%s\", \"%s\"]]}".formatted(prompt, two, four, stranger),
                "{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\"]]}".formatted(UUID.randomUUID(), two),
                "not json")));

        assertThat(result.accepted()).isEqualTo(1);
        assertThat(result.rejectedCount()).isEqualTo(4);
        assertThat(result.rejected()).extracting(ImportResult.LineError::line).containsExactly(2L, 3L, 4L, 5L);
        assertThat(result.rejected().get(0).error()).contains("leaves out response(s) " + seven);
        assertThat(result.rejected().get(1).error()).contains("response " + stranger + " is not a response of prompt " + prompt);
        assertThat(result.rejected().get(2).error()).contains("is not a prompt of this project");
        assertThat(result.rejected().get(3).error()).contains("not valid JSON");
        assertThat(goldRankings.find(prompt)).contains(List.of(List.of(two, seven), List.of(four)));
        assertThat(goldItems.count(project.id())).isEqualTo(1);
    }

    @Test
    void anUploadedGzipFileIsImportedLikeAPlainOne() throws IOException {
        Project project = projects.create(new ProjectService.ProjectSettings("gzip-" + UUID.randomUUID(), "", 2, 1, 600));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("{\"prompt\": \"Hi\", \"chosen\": \"Hello!\", \"rejected\": \"Go away.\"}\n{\"prompt\": 3}\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
        ImportResult result = imports.importFile(project.id(), ImportFormat.PAIRS, new ByteArrayInputStream(gz.toByteArray()));
        assertThat(result.imported()).isEqualTo(1);
        assertThat(result.rejected()).extracting(ImportResult.LineError::line).containsExactly(2L);
    }

    @Test
    void tokensAreListedWithoutTheirSecretAndOnlyTheirOwnerRevokesThem() {
        Annotator owner = accounts.create("tokens-" + UUID.randomUUID().toString().substring(0, 8), "a-long-password", null);
        Annotator other = accounts.create("other-" + UUID.randomUUID().toString().substring(0, 8), "a-long-password", null);
        String secret = tokens.create(owner.id(), "ci");

        List<ApiTokenService.ApiToken> listed = tokens.list(owner.id());
        assertThat(listed).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("ci");
            assertThat(t.active()).isTrue();
            assertThat(t.toString()).doesNotContain(secret);
        });
        UUID tokenId = listed.getFirst().id();
        assertThat(tokens.revoke(other.id(), tokenId)).as("another account's token").isFalse();
        assertThat(tokens.accountOf(secret)).map(Annotator::username).contains(owner.username());
        assertThat(tokens.accountOf(secret)).as("read once, then remembered for a moment").map(Annotator::id).contains(owner.id());

        assertThat(tokens.revoke(owner.id(), tokenId)).isTrue();
        assertThat(tokens.accountOf(secret)).as("a revocation is not hidden by what was remembered").isEmpty();
        assertThat(tokens.list(owner.id()).getFirst().active()).isFalse();
    }

    private static ByteArrayInputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
