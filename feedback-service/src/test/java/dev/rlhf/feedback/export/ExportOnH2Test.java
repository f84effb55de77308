package dev.rlhf.feedback.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;

import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.StandaloneAnnotators;
import dev.rlhf.feedback.project.ProjectMemberRepository;
import dev.rlhf.feedback.project.ProjectRepository;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.stats.GoldRankingRepository;
import dev.rlhf.feedback.stats.ProjectStatsService;
import dev.rlhf.feedback.task.TaskRepository;
import tools.jackson.databind.json.JsonMapper;

/**
 * The export and stats SQL on the zero-install database (H2 in PostgreSQL mode, the app's URL
 * flags, the real migrations): same line counts as on PostgreSQL for the fixture.
 */
class ExportOnH2Test {

    @Test
    void exportsAndStatsRunOnTheEmbeddedDatabase() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:exports-" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(h2).load().migrate();
        JsonMapper json = JsonMapper.builder().build();
        JdbcClient jdbc = JdbcClient.create(h2);
        var transactions = new DataSourceTransactionManager(h2);
        ProjectService projects = new ProjectService(new ProjectRepository(jdbc), new ProjectMemberRepository(jdbc));
        GoldRankingRepository gold = new GoldRankingRepository(jdbc, json);
        FeedbackFixture f = new FeedbackFixture(projects,
                StandaloneAnnotators.service(jdbc, PasswordEncoderFactories.createDelegatingPasswordEncoder()),
                new PromptRepository(jdbc, json), new TaskRepository(jdbc, json), new RankingRepository(jdbc, json), gold);
        ExportService exports = new ExportService(new ExportRepository(new JdbcTemplate(h2), json), json, transactions);

        assertThat(lines(exports, f, "pairs", null, null)).hasSize(19);
        assertThat(lines(exports, f, "pairs", "true", null)).hasSize(5);
        // from T0+1h: bob and carol on P1, both P2 rankings, alice on P3
        assertThat(lines(exports, f, "rankings", null, "2026-03-01T11:00:00Z")).hasSize(5);
        assertThat(lines(exports, f, "consensus", null, null)).hasSize(3);
        assertThat(lines(exports, f, "sft", null, null)).hasSize(2);
        // top vs bottom group of each ranking: P1 2 + 3 + 2, P2 2 + 2, P3 (one tie group) 0
        assertThat(lines(exports, f, "kto", null, null)).hasSize(11);

        // The graded modes' columns read back on H2: margins, grades, kto labels (counts worked out in GradedFeedbackFixture)
        GradedFeedbackFixture g = new GradedFeedbackFixture(projects,
                StandaloneAnnotators.service(jdbc, PasswordEncoderFactories.createDelegatingPasswordEncoder()),
                new PromptRepository(jdbc, json), new TaskRepository(jdbc, json), new RankingRepository(jdbc, json));
        assertThat(lines(exports, g.rating, "pairs", null, null)).hasSize(5).allMatch(l -> l.contains("\"margin\":"));
        // alice a >> b, bob b > a; carol's "about the same" gives no pair
        assertThat(lines(exports, g.pairwise, "pairs", null, null)).extracting(l -> json.readTree(l).path("margin").asDouble())
                .containsExactly(2.0, 1.0);
        assertThat(lines(exports, g.pairwise, "kto", null, null)).hasSize(4);
        assertThat(lines(exports, g.rating, "kto", null, null)).hasSize(5);
        assertThat(lines(exports, g.binary, "kto", null, null)).hasSize(6);
        assertThat(lines(exports, g.binary, "rankings", null, null).getFirst()).contains("\"labels\":{\"" + g.h1 + "\":true,\"" + g.h3
                + "\":true,\"" + g.h2 + "\":false}");

        var stats = new ProjectStatsService(jdbc, json, projects, gold, transactions).stats(f.project);
        assertThat(stats.counts().pairs()).isEqualTo(19);
        assertThat(stats.counts().tasksComplete()).isEqualTo(2);
        assertThat(stats.agreement().pairwise()).isEqualTo(13.0 / 17.0);
    }

    private static List<String> lines(ExportService exports, FeedbackFixture f, String format, String consensus, String from) {
        return lines(exports, f.project, format, consensus, from);
    }

    private static List<String> lines(ExportService exports, UUID project, String format, String consensus, String from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = exports.export(ExportRequest.parse(project, format, consensus, from, null, null, null), out);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize((int) n);
        return lines;
    }
}
