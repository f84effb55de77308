package dev.rlhf.feedback.stats;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.rlhf.feedback.consensus.GoldAccuracy;
import dev.rlhf.feedback.consensus.KendallTauB;
import dev.rlhf.feedback.consensus.KrippendorffAlpha;
import dev.rlhf.feedback.consensus.PairwiseAgreement;
import dev.rlhf.feedback.consensus.Rate;
import dev.rlhf.feedback.project.ProjectService;
import dev.rlhf.schemas.ranking.FeedbackMode;
import dev.rlhf.schemas.ranking.TieGroups;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Computes a project's {@link ProjectStats} (for the REST API and the UI). Rankings are read once,
 * task by task, from a cursor; only per-annotator accumulators (and their durations, for the
 * median) are kept. Rankings imported without a task (OASST, HH) are grouped by prompt instead.
 */
@Service
public class ProjectStatsService {

    private static final TypeReference<List<List<UUID>>> GROUPS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Integer>> RATINGS = new TypeReference<>() { };
    private static final TypeReference<Map<UUID, Boolean>> LABELS = new TypeReference<>() { };

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final ProjectService projects;
    private final GoldRankingRepository gold;
    private final TransactionTemplate readOnly;

    public ProjectStatsService(JdbcClient jdbc, JsonMapper json, ProjectService projects, GoldRankingRepository gold,
                               PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.json = json;
        this.projects = projects;
        this.gold = gold;
        this.readOnly = new TransactionTemplate(transactions);
        this.readOnly.setReadOnly(true);
    }

    public ProjectStats stats(UUID projectId) {
        FeedbackMode mode = projects.get(projectId).feedbackMode();
        return readOnly.execute(status -> compute(projectId, mode));
    }

    private ProjectStats compute(UUID projectId, FeedbackMode mode) {
        long prompts = count("SELECT count(*) FROM prompts WHERE project_id = ?", projectId);
        long responses = count("SELECT count(*) FROM responses s JOIN prompts p ON p.id = s.prompt_id WHERE p.project_id = ?", projectId);
        long tasks = count("SELECT count(*) FROM tasks WHERE project_id = ?", projectId);
        // Counted from the rankings themselves, not tasks.rankings_count, so imported or replayed rankings count too.
        long complete = count("""
                SELECT count(*) FROM tasks t WHERE t.project_id = ?
                AND (SELECT count(*) FROM rankings r WHERE r.task_id = t.id) >= t.annotators_needed""", projectId);

        Accumulator acc = new Accumulator();
        jdbc.sql("""
                        SELECT COALESCE(r.task_id, r.prompt_id) AS unit_id, r.annotator_id, a.username, r.ranking, r.duration_ms,
                               p.gold_ranking, r.ratings, r.labels
                        FROM rankings r JOIN prompts p ON p.id = r.prompt_id LEFT JOIN annotators a ON a.id = r.annotator_id
                        WHERE r.project_id = ?
                        ORDER BY COALESCE(r.task_id, r.prompt_id), r.submitted_at, r.id""")
                .param(projectId).withFetchSize(1000).query(acc);
        acc.finishUnit();

        List<ProjectStats.AnnotatorFigures> annotators = acc.annotators.values().stream()
                .map(AnnotatorAccumulator::figures)
                .sorted(Comparator.comparing(ProjectStats.AnnotatorFigures::username, Comparator.nullsLast(Comparator.naturalOrder())))
                .toList();
        Double pairwise = acc.agreement.orNull();
        Double ratingsInterval = orNull(acc.ratingsInterval.alpha());
        Double labelsNominal = orNull(acc.labelsNominal.alpha());
        // The measure suited to the scale: pairs ordered alike for rankings and graded pairs (InstructGPT's rate),
        // alpha with the interval metric for 1..7 ratings, with the nominal metric for thumbs.
        String measure = switch (mode) {
            case RANKING, PAIRWISE -> ProjectStats.Agreement.PAIRWISE;
            case RATING -> ProjectStats.Agreement.RATINGS_ALPHA_INTERVAL;
            case BINARY -> ProjectStats.Agreement.LABELS_ALPHA_NOMINAL;
        };
        Double measureValue = switch (mode) {
            case RANKING, PAIRWISE -> pairwise;
            case RATING -> ratingsInterval;
            case BINARY -> labelsNominal;
        };
        return new ProjectStats(projectId,
                new ProjectStats.Counts(prompts, responses, tasks, complete, acc.rankings, acc.pairs),
                tasks == 0 ? null : (double) complete / tasks,
                new ProjectStats.Agreement(pairwise, acc.agreement.total(), acc.tauCount == 0 ? null : acc.tauSum / acc.tauCount,
                        orNull(acc.alpha.alpha()), mode.wireName(), measure, measureValue, ratingsInterval,
                        orNull(acc.ratingsOrdinal.alpha()), labelsNominal),
                annotators);
    }

    private static Double orNull(double alpha) {
        return Double.isNaN(alpha) ? null : alpha;
    }

    private long count(String sql, UUID projectId) {
        return jdbc.sql(sql).param(projectId).query(Long.class).single();
    }

    /** One judgement of a unit: its tie groups, and its ratings or thumbs when the annotator gave them. */
    private record UnitRanking(UUID annotatorId, List<List<UUID>> groups, Map<UUID, Integer> ratings, Map<UUID, Boolean> labels) {
    }

    private final class Accumulator implements RowCallbackHandler {
        final Map<UUID, AnnotatorAccumulator> annotators = new LinkedHashMap<>();
        final KrippendorffAlpha alpha = new KrippendorffAlpha();
        final KrippendorffAlpha ratingsInterval = new KrippendorffAlpha(KrippendorffAlpha.Metric.INTERVAL);
        final KrippendorffAlpha ratingsOrdinal = new KrippendorffAlpha(KrippendorffAlpha.Metric.ORDINAL);
        final KrippendorffAlpha labelsNominal = new KrippendorffAlpha(KrippendorffAlpha.Metric.NOMINAL);
        Rate agreement = Rate.NONE;
        double tauSum;
        long tauCount;
        long rankings;
        long pairs;
        private UUID unit;
        private final List<UnitRanking> unitRankings = new ArrayList<>();

        @Override
        public void processRow(ResultSet rs) throws SQLException {
            UUID unitId = rs.getObject("unit_id", UUID.class);
            if (!unitId.equals(unit)) {
                finishUnit();
                unit = unitId;
            }
            List<List<UUID>> groups = json.readValue(rs.getString("ranking"), GROUPS);
            UUID annotatorId = rs.getObject("annotator_id", UUID.class);
            rankings++;
            pairs += TieGroups.strictPairCount(groups);
            String ratings = rs.getString("ratings");
            String labels = rs.getString("labels");
            unitRankings.add(new UnitRanking(annotatorId, groups, ratings == null ? Map.of() : json.readValue(ratings, RATINGS),
                    labels == null ? Map.of() : json.readValue(labels, LABELS)));
            if (annotatorId != null) {
                AnnotatorAccumulator a = annotators.computeIfAbsent(annotatorId, id -> new AnnotatorAccumulator(id));
                a.username = rs.getString("username");
                a.rankings++;
                long duration = rs.getLong("duration_ms");
                if (!rs.wasNull()) {
                    a.durationsMs.add(duration);
                }
                List<List<UUID>> goldRanking = gold.parse(rs.getString("gold_ranking"));
                if (goldRanking != null) {
                    a.gold = a.gold.plus(GoldAccuracy.of(groups, goldRanking));
                }
            }
        }

        /** Agreement within one task: every pair of its rankings, and its (task, response) units for alpha. */
        void finishUnit() {
            for (int i = 0; i < unitRankings.size(); i++) {
                for (int j = i + 1; j < unitRankings.size(); j++) {
                    UnitRanking a = unitRankings.get(i);
                    UnitRanking b = unitRankings.get(j);
                    Rate rate = PairwiseAgreement.between(a.groups(), b.groups());
                    agreement = agreement.plus(rate);
                    double tau = KendallTauB.between(a.groups(), b.groups());
                    if (!Double.isNaN(tau)) {
                        tauSum += tau;
                        tauCount++;
                    }
                    credit(a.annotatorId(), rate);
                    credit(b.annotatorId(), rate);
                }
            }
            if (unitRankings.size() >= 2) {
                Map<UUID, List<Double>> values = new LinkedHashMap<>();
                for (UnitRanking r : unitRankings) {
                    TieGroups.fractionalRanks(r.groups()).forEach((response, rank) ->
                            values.computeIfAbsent(response, k -> new ArrayList<>()).add(rank));
                }
                values.values().forEach(alpha::addUnit);
                // The grades themselves, as given: a response's ratings (or thumbs, up = 1) from the annotators who graded it.
                Map<UUID, List<Double>> ratings = new LinkedHashMap<>();
                Map<UUID, List<Double>> labels = new LinkedHashMap<>();
                for (UnitRanking r : unitRankings) {
                    r.ratings().forEach((response, rating) -> ratings.computeIfAbsent(response, k -> new ArrayList<>()).add(rating.doubleValue()));
                    r.labels().forEach((response, up) -> labels.computeIfAbsent(response, k -> new ArrayList<>()).add(up ? 1.0 : 0.0));
                }
                ratings.values().forEach(given -> {
                    ratingsInterval.addUnit(given);
                    ratingsOrdinal.addUnit(given);
                });
                labels.values().forEach(labelsNominal::addUnit);
            }
            unitRankings.clear();
        }

        private void credit(UUID annotatorId, Rate rate) {
            if (annotatorId != null) {
                annotators.get(annotatorId).agreement = annotators.get(annotatorId).agreement.plus(rate);
            }
        }
    }

    private static final class AnnotatorAccumulator {
        final UUID id;
        String username;
        long rankings;
        final List<Long> durationsMs = new ArrayList<>();
        Rate agreement = Rate.NONE;
        Rate gold = Rate.NONE;

        AnnotatorAccumulator(UUID id) {
            this.id = id;
        }

        ProjectStats.AnnotatorFigures figures() {
            return new ProjectStats.AnnotatorFigures(id, username, rankings, medianSeconds(durationsMs), agreement.orNull(),
                    agreement.total(), gold.orNull(), gold.total());
        }
    }

    /** Median in seconds (mean of the two middle values for an even count), or null for none. */
    static Double medianSeconds(List<Long> durationsMs) {
        if (durationsMs.isEmpty()) {
            return null;
        }
        long[] sorted = durationsMs.stream().mapToLong(Long::longValue).sorted().toArray();
        int mid = sorted.length / 2;
        double ms = sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
        return ms / 1000.0;
    }
}
