package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.outbox.OutboxWriter;
import dev.rlhf.feedback.platform.config.RlhfProperties;
import dev.rlhf.feedback.platform.database.BulkInsert;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectMemberRepository;
import dev.rlhf.feedback.project.ProjectRepository;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.schemas.kafka.Topics;
import tools.jackson.databind.json.JsonMapper;

/**
 * The same import code on H2 in PostgreSQL mode, the embedded database of the zero-install default
 * (the integration tests run on PostgreSQL): the SQL of the batch writer must run on both.
 */
class ImportOnH2Test {

    private JdbcClient jdbc;
    private ImportService imports;
    private ProjectService projects;

    @BeforeEach
    void embeddedDatabase() {
        String url = "jdbc:h2:mem:imports-" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
        DriverManagerDataSource dataSource = new DriverManagerDataSource(url, "sa", "");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        jdbc = JdbcClient.create(dataSource);
        JsonMapper json = JsonMapper.builder().build();
        RlhfProperties properties = new RlhfProperties(Path.of("data"), new RlhfProperties.Kafka(false, 9092, 9093),
                new RlhfProperties.TopicSettings(Topics.RANKINGS, Topics.SAMPLE_REQUESTS, Topics.SAMPLES, Topics.TRAINER_METRICS, 3, (short) 1));
        projects = new ProjectService(new ProjectRepository(jdbc), new ProjectMemberRepository(jdbc));
        writer = new ImportBatchWriter(jdbc, json, new OutboxWriter(jdbc, event -> { }, new BulkInsert(dataSource)), properties, new BulkInsert(dataSource));
        transactions = new DataSourceTransactionManager(dataSource);
        this.json = json;
        // A small batch, so the run below spans several transactions and re-imports hit existing rows across batches.
        imports = service(new ImportProperties(2, 1 << 30, 1 << 20, 100_000, 1000));
    }

    private ImportBatchWriter writer;
    private DataSourceTransactionManager transactions;
    private JsonMapper json;

    private ImportService service(ImportProperties limits) {
        return new ImportService(projects, writer, transactions, limits, json);
    }

    private ImportResult run(UUID project, ImportFormat format, String ndjson) {
        return imports.importItems(project, format, new ByteArrayInputStream(ndjson.getBytes(StandardCharsets.UTF_8)));
    }

    private long count(String sql) {
        return jdbc.sql(sql).query(Long.class).single();
    }

    @Test
    void everyFormatImportsAndReimportsOnH2() {
        Project project = projects.create(new ProjectService.ProjectSettings("h2", "", 2, 3, null));
        UUID id = project.id();

        assertThat(run(id, ImportFormat.PROMPTS, "{\"prompt\": \"p1\"}\n{\"prompt\": \"p2\"}\n{\"prompt\": \"p3\"}\n").imported()).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM outbox")).isEqualTo(3);

        String responses = "{\"prompt\": \"p1\", \"responses\": [\"a\", \"b\", {\"text\": \"c\", \"model\": \"m\"}]}\n";
        assertThat(run(id, ImportFormat.RESPONSES, responses).imported()).isEqualTo(1);
        // 3 responses with K = 2: tasks {a, b} and {b, c}.
        assertThat(count("SELECT count(*) FROM tasks")).isEqualTo(2);

        String pairs = "{\"prompt\": \"q\", \"chosen\": \"x\", \"rejected\": \"y\"}\n{\"prompt\": \"q\", \"chosen\": \"y\", \"rejected\": \"z\"}\n";
        String hh = "{\"chosen\": \"\\n\\nHuman: hi\\n\\nAssistant: hello\", \"rejected\": \"\\n\\nHuman: hi\\n\\nAssistant: go away\"}\n";
        String oasst = """
                {"prompt": {"message_id": "m1", "role": "prompter", "text": "Q", "replies": [
                  {"role": "assistant", "text": "r1", "rank": 0, "replies": [{"message_id": "m2", "role": "prompter", "text": "more", "replies": [
                    {"role": "assistant", "text": "s1", "rank": 1}, {"role": "assistant", "text": "s2", "rank": 0}]}]},
                  {"role": "assistant", "text": "r2", "rank": 1}]}}
                """.replace("\n", "") + "\n";
        assertThat(run(id, ImportFormat.PAIRS, pairs).imported()).isEqualTo(2);
        assertThat(run(id, ImportFormat.HH, hh).imported()).isEqualTo(1);
        assertThat(run(id, ImportFormat.OASST, oasst).imported()).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM rankings")).isEqualTo(5);

        long prompts = count("SELECT count(*) FROM prompts");
        long tasks = count("SELECT count(*) FROM tasks");
        for (var again : java.util.List.of(run(id, ImportFormat.PROMPTS, "{\"prompt\": \"p1\"}\n{\"prompt\": \"p2\"}\n{\"prompt\": \"p3\"}\n"),
                run(id, ImportFormat.RESPONSES, responses), run(id, ImportFormat.PAIRS, pairs), run(id, ImportFormat.HH, hh),
                run(id, ImportFormat.OASST, oasst))) {
            assertThat(again.imported()).as(again.format()).isZero();
            assertThat(again.rejected()).isEmpty();
        }
        assertThat(count("SELECT count(*) FROM prompts")).isEqualTo(prompts);
        assertThat(count("SELECT count(*) FROM tasks")).isEqualTo(tasks);
        assertThat(count("SELECT count(*) FROM rankings")).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM outbox")).isEqualTo(3);

        // A batch mixing a known prompt with a new one: the new one is still imported.
        ImportResult mixed = run(id, ImportFormat.PROMPTS, "{\"prompt\": \"p1\"}\n{\"prompt\": \"p4\"}\n");
        assertThat(mixed.imported()).isEqualTo(1);
        assertThat(mixed.skipped()).isEqualTo(1);
    }

    @Test
    void aLineTheDatabaseRefusesIsReportedByNumberAndTheRestOfItsBatchAndLaterBatchesAreStored() {
        UUID project = projects.create(new ProjectService.ProjectSettings("refused", "", 4, 3, null)).id();
        // A rule the parser does not know, so only the database refuses the line.
        jdbc.sql("ALTER TABLE prompts ADD CONSTRAINT no_poison CHECK (conversation NOT LIKE '%poison%')").update();
        String lines = """
                {"prompt": "one"}
                {"prompt": "two"}
                {"prompt": "three poison"}
                {"prompt": "four"}
                not json
                {"prompt": "six"}
                {"prompt": "seven poison"}
                """;

        // Batches of 2 lines: (1, 2) stored; (3, 4) refused, retried line by line; (6, 7) the same.
        ImportResult result = run(project, ImportFormat.PROMPTS, lines);

        assertThat(result.imported()).isEqualTo(4);
        assertThat(result.lines()).isEqualTo(7);
        assertThat(result.rejected()).extracting(ImportResult.LineError::line).containsExactly(3L, 5L, 7L);
        assertThat(result.rejected().get(0).error()).startsWith("could not be stored: ").containsIgnoringCase("no_poison");
        assertThat(jdbc.sql("SELECT conversation FROM prompts ORDER BY created_at").query(String.class).list())
                .hasSize(4).noneMatch(conversation -> conversation.contains("poison"));
        assertThat(count("SELECT count(*) FROM outbox")).isEqualTo(4);
    }

    @Test
    void aBodyOverTheLimitKeepsTheLinesBeforeItAndAnswers413() {
        UUID project = projects.create(new ProjectService.ProjectSettings("limits", "", 4, 3, null)).id();
        ImportService small = service(new ImportProperties(500, 100_000, 64, 100_000, 2));
        StringBuilder body = new StringBuilder("{\"prompt\": \"" + "x".repeat(100) + "\"}\n");
        for (int i = 0; body.length() < 200_000; i++) {
            body.append("{\"prompt\": \"p").append(i).append("\"}\n");
        }
        assertThatThrownBy(() -> small.importItems(project, ImportFormat.PROMPTS, new ByteArrayInputStream(body.toString().getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(413);
                    assertThat(e.getMessage()).startsWith("The request body exceeds 100000 bytes").contains("rejected 1 before that");
                });
        // Complete lines before the limit were committed; the over-long first line was rejected, not stored.
        long stored = count("SELECT count(*) FROM prompts");
        assertThat(stored).isGreaterThan(1000);
        assertThat(jdbc.sql("SELECT count(*) FROM prompts WHERE conversation LIKE '%xxxxxxxxxx%'").query(Long.class).single()).isZero();

        ImportResult errors = small.importItems(project, ImportFormat.PROMPTS,
                new ByteArrayInputStream("{}\n{}\n{}\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(errors.rejectedCount()).isEqualTo(3);
        assertThat(errors.rejected()).hasSize(2);
    }
}
