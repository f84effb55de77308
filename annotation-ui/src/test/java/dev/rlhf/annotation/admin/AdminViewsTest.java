package dev.rlhf.annotation.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.test.context.support.WithMockUser;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.vaadin.browserless.SpringBrowserlessTest;
import com.vaadin.flow.component.ComponentUtil;
import com.vaadin.flow.component.PollEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.server.VaadinService;
import com.vaadin.flow.server.VaadinSession;

import dev.rlhf.annotation.AnnotationApplication;
import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorProgressService;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.export.ExportFormat;
import dev.rlhf.feedback.export.ExportRequest;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportResult;
import dev.rlhf.feedback.imports.ImportService;
import dev.rlhf.feedback.metrics.MetricPoint;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectMemberService;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.feedback.prompt.Conversation;
import dev.rlhf.feedback.prompt.PromptRepository;
import dev.rlhf.feedback.ranking.Ranking;
import dev.rlhf.feedback.ranking.RankingRepository;
import dev.rlhf.feedback.task.NextTask;
import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.feedback.task.SubmissionService;
import dev.rlhf.feedback.task.TaskService;
import dev.rlhf.feedback.testing.TestInfrastructure;
import dev.rlhf.schemas.ranking.FeedbackMode;

/** The admin console's logic without a browser: project form, import report, live stats, gold items, exports, accounts and tokens. */
@SpringBootTest(classes = AnnotationApplication.class, properties = "logging.file.name=target/test-logs/ui.log")
class AdminViewsTest extends SpringBrowserlessTest {

    static final TestInfrastructure INFRASTRUCTURE = TestInfrastructure.create();

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRASTRUCTURE.register(registry);
    }

    @Autowired
    ProjectService projects;
    @Autowired
    ImportService imports;
    @Autowired
    AnnotatorService accounts;
    @Autowired
    ApiTokenService apiTokens;
    @Autowired
    ProjectMemberService memberships;
    @Autowired
    AnnotatorProgressService progress;
    @Autowired
    TaskService tasks;
    @Autowired
    SubmissionService submissions;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    PromptRepository prompts;
    @Autowired
    RankingRepository rankings;
    @Autowired
    TrainerMetricsService metrics;

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void theProjectFormShowsTheServicesValidationMessagesAndOpensTheNewProject() {
        ProjectsView view = navigate(ProjectsView.class);
        ProjectForm form = view.form;

        form.name.setValue("   ");
        test(form.save).click();
        assertThat(form.errorText()).isEqualTo("name is required (1 to 200 characters)");

        String name = "form-" + UUID.randomUUID();
        form.name.setValue(name);
        form.responsesPerTask.setValue(1);
        test(form.save).click();
        assertThat(form.errorText()).isEqualTo("responsesPerTask must be between 2 and 16, not 1");

        form.responsesPerTask.clear();
        test(form.save).click();
        assertThat(form.errorText()).as("an empty field is not the default").isEqualTo("Responses per task (K) must be a whole number");

        form.responsesPerTask.setValue(3);
        form.leaseSeconds.setValue(5);
        test(form.save).click();
        assertThat(form.errorText()).isEqualTo("leaseSeconds must be between 30 and 604800, not 5");

        form.leaseSeconds.setValue(900);
        form.guidelines.setValue("# Rank by helpfulness");
        test(form.save).click();
        assertThat(form.errorText()).isEmpty();
        assertThat(getCurrentView()).isInstanceOf(ProjectDetailView.class);
        Project created = ((ProjectDetailView) getCurrentView()).project();
        assertThat(created).extracting(Project::name, Project::responsesPerTask, Project::leaseSeconds, Project::guidelines)
                .containsExactly(name, 3, 900, "# Rank by helpfulness");

        ProjectsView again = navigate(ProjectsView.class);
        assertThat(again.grid.getGenericDataView().getItems().map(Project::name)).contains(name);
        again.form.name.setValue(name);
        test(again.form.save).click();
        assertThat(again.form.errorText()).isEqualTo("A project named '" + name + "' already exists");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void anUploadedFileIsImportedInTheBackgroundAndItsRejectedLinesAreListed() throws Exception {
        Project project = newProject(2, 1);
        ProjectDetailView view = open(project);
        ImportPanel panel = view.importPanel;
        panel.format.setValue(ImportFormat.PAIRS);
        File file = Files.createTempFile("upload-", ".jsonl").toFile();
        Files.writeString(file.toPath(), """
                {"prompt": "Say hi", "chosen": "Hi!", "rejected": "No."}
                {"prompt": "Say bye", "chosen": "Bye!"}
                {"prompt": "Say yes", "chosen": "Yes.", "rejected": "Nope."}
                """, StandardCharsets.UTF_8);

        panel.start("pairs.jsonl", file);
        assertThat(panel.importing.isVisible()).as("indeterminate progress while importing").isTrue();
        assertThat(panel.importing.isIndeterminate()).isTrue();
        panel.lastImport.get(30, TimeUnit.SECONDS);
        // The import's thread hands the result over with UI.access; the test thread holds the session lock.
        VaadinService.getCurrent().runPendingAccessTasks(VaadinSession.getCurrent());

        assertThat(panel.importing.isVisible()).isFalse();
        assertThat(panel.summary.getText()).isEqualTo("Imported 2 · skipped 0 (already present) · rejected 1");
        assertThat(test(panel.rejected).size()).isEqualTo(1);
        assertThat(test(panel.rejected).getCellText(0, 0)).isEqualTo("2");
        assertThat(test(panel.rejected).getCellText(0, 1)).contains("rejected");
        assertThat(file).as("the temporary upload is removed").doesNotExist();
        assertThat(view.statsPanel.counts.getText()).as("figures refreshed after the import").startsWith("2 prompts · 4 responses");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void progressAgreementAndPerAnnotatorFiguresShowAndRefreshWhilePolling() {
        Project project = newProject(2, 2);
        imports.importItems(project.id(), ImportFormat.RESPONSES, stream("""
                {"prompt": "Capital of France?", "responses": [{"text": "Paris"}, {"text": "Lyon"}]}
                """));
        String ann = "ann-" + UUID.randomUUID().toString().substring(0, 8);
        String bob = "bob-" + UUID.randomUUID().toString().substring(0, 8);
        memberships.createAccount(ann, "a-long-password", java.util.Set.of(Annotator.Role.ANNOTATOR), List.of(project.id()));
        memberships.createAccount(bob, "a-long-password", java.util.Set.of(Annotator.Role.ANNOTATOR), List.of(project.id()));
        rankParisFirst(ann, project, 4000);

        ProjectDetailView view = open(project);
        StatsPanel stats = view.statsPanel;
        assertThat(UI.getCurrent().getPollInterval()).isEqualTo(ProjectDetailView.REFRESH_MS);
        assertThat(stats.progress.getValue()).isZero();
        assertThat(stats.progressText.getText()).isEqualTo("0.0% of tasks complete");
        assertThat(stats.agreement.getText()).startsWith("Pairwise agreement –");

        rankParisFirst(bob, project, 6000);
        ComponentUtil.fireEvent(UI.getCurrent(), new PollEvent(UI.getCurrent(), true));

        assertThat(stats.progress.getValue()).isEqualTo(1.0);
        assertThat(stats.counts.getText()).isEqualTo("1 prompts · 2 responses · 1 tasks (1 complete) · 2 rankings · 2 preference pairs");
        assertThat(stats.agreement.getText()).startsWith("Pairwise agreement 100.0% (1 pairs) · Kendall tau-b 1.00");
        assertThat(test(stats.annotators).size()).isEqualTo(2);
        int annRow = test(stats.annotators).getRow(0).username().equals(ann) ? 0 : 1;
        assertThat(test(stats.annotators).getCellText(annRow, 1)).isEqualTo("1");
        assertThat(test(stats.annotators).getCellText(annRow, 2)).isEqualTo("4.0 s");
        assertThat(test(stats.annotators).getCellText(annRow, 3)).isEqualTo("100.0% (1 pairs)");
        assertThat(stats.agreementChart.bars()).containsEntry(ann, 1.0).containsEntry(bob, 1.0);
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void goldRankingsAreUploadedWithPerLineErrorsAndCounted() throws IOException {
        Project project = newProject(2, 1);
        imports.importItems(project.id(), ImportFormat.RESPONSES, stream("""
                {"prompt": "2+2?", "responses": [{"text": "4"}, {"text": "5"}]}
                """));
        UUID prompt = jdbc.sql("SELECT id FROM prompts WHERE project_id = ?").param(project.id()).query(UUID.class).single();
        List<UUID> responses = jdbc.sql("SELECT id FROM responses WHERE prompt_id = ? ORDER BY text").param(prompt).query(UUID.class).list();
        ProjectDetailView view = open(project);
        assertThat(view.goldPanel.count.getText()).isEqualTo("0 gold items");

        File file = Files.createTempFile("gold-", ".jsonl").toFile();
        Files.writeString(file.toPath(), "{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\"], [\"%s\"]]}\n{\"prompt_id\": \"%s\", \"ranking\": [[\"%s\"]]}\n"
                .formatted(prompt, responses.get(0), responses.get(1), prompt, responses.get(0)));
        view.goldPanel.importGold("gold.jsonl", file);

        assertThat(view.goldPanel.result.getText()).isEqualTo("gold.jsonl: 1 gold rankings set · rejected 1");
        assertThat(test(view.goldPanel.rejected).getCellText(0, 0)).isEqualTo("2");
        assertThat(test(view.goldPanel.rejected).getCellText(0, 1)).contains("leaves out response(s) " + responses.get(1));
        assertThat(view.goldPanel.count.getText()).isEqualTo("1 gold items");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void exportLinksCoverEveryFormatAndCarryTheFilters() {
        Project project = newProject(2, 1);
        ProjectDetailView view = open(project);
        ExportPanel exports = view.exportPanel;
        assertThat(exports.links).hasSize(7).allSatisfy(link -> assertThat(link.getHref()).startsWith("VAADIN/dynamic/resource/"));
        assertThat(ExportPanel.KINDS).extracting(ExportPanel.Kind::format).containsAll(
                java.util.Arrays.stream(ExportFormat.values()).map(ExportFormat::id).toList());

        exports.minAgreement.setValue(1.5);
        assertThat(exports.error.getText()).isEqualTo("minAgreement must be a number between 0 and 1, not '1.5'");
        assertThat(exports.links).noneMatch(link -> link.isEnabled());

        exports.minAgreement.setValue(0.6);
        exports.from.setValue(LocalDate.of(2026, 5, 1));
        exports.until.setValue(LocalDate.of(2026, 5, 31));
        exports.policyVersion.setValue("policy-7");
        assertThat(exports.error.isVisible()).isFalse();
        assertThat(exports.links).allMatch(link -> link.isEnabled());
        ExportRequest request = exports.request(ExportPanel.KINDS.get(1));
        assertThat(request.format()).isEqualTo(ExportFormat.PAIRS);
        assertThat(request.consensusOnly()).isTrue();
        assertThat(request.from()).isEqualTo(LocalDate.of(2026, 5, 1).atStartOfDay(ZoneOffset.UTC).toInstant());
        assertThat(request.to()).as("the until date is inclusive").isEqualTo(LocalDate.of(2026, 6, 1).atStartOfDay(ZoneOffset.UTC).toInstant());
        assertThat(request.policyVersion()).isEqualTo("policy-7");
        assertThat(request.minAgreement()).isEqualTo(0.6);
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void policyVersionsAreListedWithRatingsWinRatesHealthPromotionAndTheLoopsStatus() throws InterruptedException {
        Project project = newProject(2, 1);
        ProjectDetailView view = open(project);
        assertThat(view.policyPanel.empty.isVisible()).isTrue();
        assertThat(view.policyPanel.versions.isVisible()).isFalse();
        assertThat(view.policyPanel.loop.getText()).isEqualTo("The trainer has not reported its loop's status yet.");

        for (int i = 0; i < 3; i++) {
            UUID prompt = prompts.insertPromptIfAbsent(project.id(), Conversation.ofUser("story " + i), "api", null).id();
            UUID old = prompts.insertResponseIfAbsent(prompt, "old " + i, null, "v1", -3.0).id();
            Thread.sleep(5); // v2's responses arrive later, as a newer policy's do
            UUID fresh = prompts.insertResponseIfAbsent(prompt, "new " + i, null, "v2", -2.0).id();
            // The newer policy wins two of three comparisons.
            List<List<UUID>> groups = i < 2 ? List.of(List.of(fresh), List.of(old)) : List.of(List.of(old), List.of(fresh));
            rankings.insert(new Ranking(UUID.randomUUID(), UUID.randomUUID(), null, null, prompt, project.id(), null, "annotator",
                    groups, Map.of(), false, null, 1000L, java.time.Instant.now()));
        }
        ComponentUtil.fireEvent(UI.getCurrent(), new PollEvent(UI.getCurrent(), true));

        assertThat(view.policyPanel.empty.isVisible()).isFalse();
        var grid = test(view.policyPanel.versions);
        assertThat(grid.size()).isEqualTo(2);
        assertThat(grid.getCellText(0, 0)).isEqualTo("v1");
        assertThat(grid.getCellText(0, 1)).isEqualTo("3");
        assertThat(grid.getCellText(0, 4)).isEqualTo("–");
        assertThat(grid.getCellText(1, 0)).isEqualTo("v2");
        assertThat(grid.getCellText(1, 4)).isEqualTo("66.7% vs v1 (2 wins, 1 losses, 0 ties)");
        assertThat(grid.getCellText(1, 5)).as("no health reported yet").isEqualTo("–");

        // The trainer reports each version's health (v3 was rejected and never reached the labelers) and its loop's status.
        health(1, Map.of("health/kl_to_sft", 0.0, "health/distinct2", 0.61, "health/repeat_rate", 0.1, "health/length", 38.0,
                "health/promoted", 1.0));
        health(2, Map.of("health/kl_to_sft", 0.84, "health/distinct2", 0.58, "health/repeat_rate", 0.05, "health/length", 41.5,
                "health/promoted", 1.0, "limit/kl_to_sft", 2.0));
        health(3, Map.of("health/kl_to_sft", 3.1, "health/distinct2", 0.4, "health/repeat_rate", 0.0, "health/length", 12.25,
                "health/promoted", 0.0, "guard/kl_to_sft", 1.0, "limit/kl_to_sft", 2.0));
        long now = java.time.Instant.now().getEpochSecond();
        for (var e : Map.of("loop/version", 2.0, "loop/round", 0.0, "loop/comparisons_new", 46.0, "loop/train_every", 60.0,
                "loop/idle_seconds", 10.0, "loop/idle_limit_seconds", 30.0, "loop/requests_pending", 0.0).entrySet()) {
            metrics.record(new MetricPoint("loop", "loop", now, e.getKey(), e.getValue(), java.time.Instant.now()));
        }
        ComponentUtil.fireEvent(UI.getCurrent(), new PollEvent(UI.getCurrent(), true));

        grid = test(view.policyPanel.versions);
        assertThat(grid.size()).isEqualTo(3);
        assertThat(grid.getCellText(1, 5)).isEqualTo("0.84");
        assertThat(grid.getCellText(1, 6)).isEqualTo("0.58");
        assertThat(grid.getCellText(1, 7)).isEqualTo("0.05");
        assertThat(grid.getCellText(1, 8)).isEqualTo("41.5");
        assertThat(grid.getCellText(1, 9)).isEqualTo("promoted");
        // Bradley-Terry: v2 won 2 of 3, so odds 2, 400 log10(2) = 120.4 points above v1 (the anchor, 1000).
        assertThat(grid.getCellText(0, 3)).isEqualTo("1000 (1000–1000) · 3 games");
        java.util.regex.Matcher rating = java.util.regex.Pattern.compile("1120 \\((\\d+)–(\\d+)\\) · 3 games").matcher(grid.getCellText(1, 3));
        assertThat(rating.matches()).as(grid.getCellText(1, 3)).isTrue();
        assertThat(Integer.parseInt(rating.group(1))).isLessThanOrEqualTo(1120);
        assertThat(Integer.parseInt(rating.group(2))).isGreaterThanOrEqualTo(1120);
        assertThat(grid.getCellText(2, 0)).isEqualTo("v3");
        assertThat(grid.getCellText(2, 1)).isEqualTo("0");
        assertThat(grid.getCellText(2, 2)).isEqualTo("–");
        assertThat(grid.getCellText(2, 3)).as("never ranked").isEqualTo("–");
        assertThat(grid.getCellText(2, 5)).isEqualTo("3.1");
        assertThat(grid.getCellText(2, 9)).isEqualTo("rejected: KL to SFT 3.1 > 2.0");
        assertThat(view.policyPanel.loop.getText())
                .startsWith("Trainer loop (v2 promoted): Waiting for 14 more comparisons (46 of 60), or 20 s more without rankings (reported ");
    }

    private void health(long version, Map<String, Double> values) {
        values.forEach((name, value) -> metrics.record(new MetricPoint("health", "health", version, name, value, java.time.Instant.now())));
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void accountsAreCreatedWithTheirRolesAndTheServicesMessagesShown() {
        AccountsView view = navigate(AccountsView.class);
        String name = "new-" + UUID.randomUUID().toString().substring(0, 8);
        view.username.setValue(name);
        view.password.setValue("short");
        test(view.create).click();
        assertThat(view.accountError.getText()).isEqualTo("password must have at least 12 characters");
        view.password.setValue("Password2024!");
        test(view.create).click();
        assertThat(view.accountError.getText()).startsWith("password is too common");

        view.password.setValue("long-enough-password");
        view.roles.setValue(java.util.Set.of(Annotator.Role.ADMIN, Annotator.Role.ANNOTATOR));
        test(view.create).click();
        assertThat(view.accountError.getText()).isEmpty();
        assertThat(view.accounts.getGenericDataView().getItems().filter(a -> a.username().equals(name)).findFirst()).get()
                .extracting(Annotator::roles).isEqualTo(java.util.EnumSet.of(Annotator.Role.ADMIN, Annotator.Role.ANNOTATOR));
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void aTokenNameTheServiceRefusesIsShownOnTheFieldAndNoTokenIsCreated() {
        var panel = navigate(AccountsView.class).tokenPanel;
        int before = test(panel.tokens).size();
        panel.tokenName.setValue("ci\u0000");
        test(panel.createToken).click();
        assertThat(panel.tokenDialog).isNull();
        assertThat(panel.tokenName.isInvalid()).isTrue();
        assertThat(panel.tokenName.getErrorMessage()).startsWith("name contains a NUL character");
        assertThat(test(panel.tokens).size()).isEqualTo(before);
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void aNewApiTokenIsShownOnceAndCanBeRevoked() {
        AccountsView view = navigate(AccountsView.class);
        var panel = view.tokenPanel;
        int before = test(panel.tokens).size();
        panel.tokenName.setValue("ci-" + UUID.randomUUID().toString().substring(0, 6));
        panel.expiresInDays.setValue(7);
        test(panel.createToken).click();

        assertThat(panel.tokenDialog.isOpened()).isTrue();
        String secret = $(TextField.class).id("token-secret").getValue();
        assertThat(secret).startsWith("rlhf_");
        assertThat(apiTokens.accountOf(secret).map(dev.rlhf.feedback.annotator.Annotator::username)).contains(TestInfrastructure.ADMIN);
        assertThat(test(panel.tokens).size()).isEqualTo(before + 1);
        // Columns: name, account, created, expires, status, revoke.
        assertThat(test(panel.tokens).getCellText(0, 1)).isEqualTo(TestInfrastructure.ADMIN);
        assertThat(test(panel.tokens).getCellText(0, 3))
                .isEqualTo(ProjectsView.TIME.format(java.time.Instant.now().plus(java.time.Duration.ofDays(7))));
        assertThat(test(panel.tokens).getCellText(0, 4)).isEqualTo("active");

        test(panel.tokenDialog.getFooter().getElement().getChild(0).getComponent().map(c -> (com.vaadin.flow.component.button.Button) c)
                .orElseThrow()).click();
        assertThat(panel.tokenDialog).isNull();
        assertThat($(TextField.class).withId("token-secret").all()).as("the secret is gone once the dialog closes").isEmpty();

        // The newest token is the first row; its Revoke button is in the last column.
        test((com.vaadin.flow.component.button.Button) test(panel.tokens).getCellComponent(0, 5)).click();
        assertThat(apiTokens.accountOf(secret)).isEmpty();
        assertThat(test(panel.tokens).getCellText(0, 4)).startsWith("revoked");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void anAdminDisablesAnAccountAndSetsItsPassword() {
        String name = "managed-" + UUID.randomUUID().toString().substring(0, 8);
        Annotator account = accounts.create(name, "first-long-phrase-1", java.util.Set.of(Annotator.Role.ANNOTATOR));
        String secret = apiTokens.create(account.id(), "script");
        AccountsView view = navigate(AccountsView.class);

        test(accountButton(view, name, 0)).click();
        assertThat(accounts.byId(account.id()).enabled()).isFalse();
        assertThat(apiTokens.accountOf(secret)).as("a disabled account's tokens are revoked").isEmpty();
        assertThat(view.accounts.getGenericDataView().getItems().filter(a -> a.username().equals(name)).findFirst()).get()
                .extracting(Annotator::enabled).isEqualTo(false);
        test(accountButton(view, name, 0)).click();
        assertThat(accounts.byId(account.id()).enabled()).isTrue();
        assertThat(accountButton(view, TestInfrastructure.ADMIN, 0).isEnabled()).as("nobody disables their own account").isFalse();

        test(accountButton(view, name, 1)).click();
        $(com.vaadin.flow.component.textfield.PasswordField.class).id("set-password-value").setValue(name + "-secret");
        test($(com.vaadin.flow.component.button.Button.class).id("set-password-save")).click();
        assertThat($(com.vaadin.flow.component.html.Span.class).id("set-password-error").getText())
                .isEqualTo("password must not contain the username");
        $(com.vaadin.flow.component.textfield.PasswordField.class).id("set-password-value").setValue("second-long-phrase-2");
        test($(com.vaadin.flow.component.button.Button.class).id("set-password-save")).click();
        assertThat(view.passwordDialog).isNull();
        assertThat(org.springframework.security.crypto.factory.PasswordEncoderFactories.createDelegatingPasswordEncoder()
                .matches("second-long-phrase-2", accounts.byId(account.id()).passwordHash())).isTrue();
    }

    /** The account's row's buttons (0: disable/enable, 1: set password) in the accounts grid. */
    private com.vaadin.flow.component.button.Button accountButton(AccountsView view, String username, int which) {
        var grid = test(view.accounts);
        for (int row = 0; row < grid.size(); row++) {
            if (grid.getCellText(row, 0).equals(username)) {
                var actions = (com.vaadin.flow.component.orderedlayout.HorizontalLayout) grid.getCellComponent(row, 4);
                return (com.vaadin.flow.component.button.Button) actions.getComponentAt(which);
            }
        }
        throw new AssertionError("no account " + username + " in the grid");
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void theFormsFeedbackModeIsStoredAndPairwiseSetsKToTwo() {
        ProjectsView view = navigate(ProjectsView.class);
        ProjectForm form = view.form;
        assertThat(form.feedbackMode.getValue()).as("the default").isEqualTo(FeedbackMode.RANKING);
        form.name.setValue("pairwise-form-" + UUID.randomUUID());
        form.feedbackMode.setValue(FeedbackMode.PAIRWISE);
        assertThat(form.responsesPerTask.getValue()).isEqualTo(2);
        assertThat(form.responsesPerTask.isReadOnly()).isTrue();
        test(form.save).click();
        assertThat(form.errorText()).isEmpty();
        Project pairwise = ((ProjectDetailView) getCurrentView()).project();
        assertThat(pairwise).extracting(Project::feedbackMode, Project::responsesPerTask).containsExactly(FeedbackMode.PAIRWISE, 2);

        // The console's settings show the mode, and saving other settings keeps it.
        ProjectDetailView detail = open(pairwise);
        assertThat(detail.settings.feedbackMode.getValue()).isEqualTo(FeedbackMode.PAIRWISE);
        assertThat(detail.settings.responsesPerTask.isReadOnly()).isTrue();
        detail.settings.annotatorsPerTask.setValue(2);
        test(detail.settings.save).click();
        assertThat(projects.get(pairwise.id())).extracting(Project::feedbackMode, Project::annotatorsPerTask)
                .containsExactly(FeedbackMode.PAIRWISE, 2);

        ProjectsView again = navigate(ProjectsView.class);
        again.form.name.setValue("rating-form-" + UUID.randomUUID());
        again.form.feedbackMode.setValue(FeedbackMode.RATING);
        again.form.responsesPerTask.setValue(5);
        test(again.form.save).click();
        assertThat(((ProjectDetailView) getCurrentView()).project()).extracting(Project::feedbackMode, Project::responsesPerTask)
                .containsExactly(FeedbackMode.RATING, 5);
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void theConsoleReconfiguresItsProjectAndSaysWhenThereIsNone() {
        Project project = newProject(2, 1);
        ProjectDetailView view = open(project);
        view.settings.annotatorsPerTask.setValue(0);
        test(view.settings.save).click();
        assertThat(view.settings.errorText()).isEqualTo("annotatorsPerTask must be between 1 and 50, not 0");

        view.settings.annotatorsPerTask.setValue(5);
        view.settings.name.setValue(project.name() + " (v2)");
        test(view.settings.save).click();
        assertThat(view.settings.errorText()).isEmpty();
        assertThat(projects.get(project.id())).extracting(Project::name, Project::annotatorsPerTask)
                .containsExactly(project.name() + " (v2)", 5);
        assertThat(view.getPageTitle()).isEqualTo(project.name() + " (v2)");

        ProjectDetailView missing = navigate(ProjectDetailView.class, Map.of(ProjectDetailView.PROJECT_ID, UUID.randomUUID().toString()));
        assertThat(missing.project()).isNull();
        assertThat(missing.importPanel).as("no panels for a missing project").isNull();
    }

    @Test
    @WithMockUser(username = TestInfrastructure.ADMIN, roles = "ADMIN")
    void theMembersPanelAddsAndRemovesMembersAndTheAnnotatorsProjectsFollow() {
        Project project = newProject(2, 1);
        imports.importItems(project.id(), ImportFormat.RESPONSES, stream("""
                {"prompt": "Capital of France?", "responses": [{"text": "Paris"}, {"text": "Lyon"}]}
                """));
        String zoe = "zoe-" + UUID.randomUUID().toString().substring(0, 8);
        accounts.create(zoe, "a-long-password", java.util.Set.of(Annotator.Role.ANNOTATOR));
        assertThat(progress.progressOf(zoe)).as("not a member yet").noneMatch(p -> p.project().id().equals(project.id()));

        MembersPanel panel = open(project).membersPanel;
        assertThat(test(panel.members).size()).isZero();
        assertThat(panel.candidates.getListDataView().getItems()).contains(zoe).doesNotContain(TestInfrastructure.ADMIN);
        test(panel.add).click();
        assertThat(panel.error.getText()).isEqualTo("Choose one or more accounts to add.");
        panel.candidates.setValue(java.util.Set.of(zoe));
        test(panel.add).click();
        assertThat(panel.error.getText()).isEmpty();
        assertThat(test(panel.members).size()).isEqualTo(1);
        assertThat(test(panel.members).getCellText(0, 0)).isEqualTo(zoe);
        assertThat(panel.candidates.getListDataView().getItems()).doesNotContain(zoe);
        assertThat(progress.progressOf(zoe)).singleElement().satisfies(p -> {
            assertThat(p.project().id()).isEqualTo(project.id());
            assertThat(p.available()).isEqualTo(1);
        });
        assertThat(tasks.next(zoe, project.id())).as("a member takes the project's tasks").isPresent();

        panel.remove(zoe);
        assertThat(test(panel.members).size()).isZero();
        assertThat(progress.progressOf(zoe)).isEmpty();
        assertThatThrownBy(() -> tasks.next(zoe, project.id())).isInstanceOf(ApiException.class).hasMessage("No project " + project.id());
    }

    @Test
    @WithMockUser(username = "someone", roles = "ANNOTATOR")
    void annotatorsCannotOpenTheAdminConsole() {
        assertThatThrownBy(() -> navigate(ProjectsView.class)).hasMessageContaining("ProjectsView");
        assertThatThrownBy(() -> navigate(AccountsView.class)).hasMessageContaining("AccountsView");
    }

    private Project newProject(int k, int annotatorsPerTask) {
        return projects.create(new ProjectService.ProjectSettings("admin-test-" + UUID.randomUUID(), "", k, annotatorsPerTask, 600));
    }

    private ProjectDetailView open(Project project) {
        return navigate(ProjectDetailView.class, Map.of(ProjectDetailView.PROJECT_ID, project.id().toString()));
    }

    private void rankParisFirst(String username, Project project, long durationMs) {
        NextTask task = tasks.next(username, project.id()).orElseThrow();
        String paris = task.responses().stream().filter(r -> r.text().equals("Paris")).findFirst().orElseThrow().id().toString();
        String lyon = task.responses().stream().filter(r -> r.text().equals("Lyon")).findFirst().orElseThrow().id().toString();
        submissions.submit(username, task.taskId(), new RankingSubmission(List.of(List.of(paris), List.of(lyon)), Map.of(), false, null,
                durationMs));
    }

    private static java.io.InputStream stream(String text) {
        return new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
