package dev.rlhf.feedback.policy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.metrics.LoopStatus;
import dev.rlhf.feedback.metrics.PolicyHealth;
import dev.rlhf.feedback.metrics.TrainerMetricsService;
import dev.rlhf.feedback.metrics.VersionHealth;
import dev.rlhf.feedback.ranking.RankingRepository;

/**
 * The policy versions that produced a project's responses or that the trainer reported on, how
 * each fared against the one before, their Bradley-Terry ratings, their health and promotion, and
 * what the trainer's loop is waiting for.
 */
@Service
public class PolicyVersionService {

    private final JdbcClient jdbc;
    private final RankingRepository rankings;
    private final TrainerMetricsService metrics;
    /** The last ratings of each project and the games they were fitted on: a bootstrap is refitted only when a ranking changed them. */
    private final Map<UUID, CachedRatings> ratingsCache = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, CachedRatings> eldest) {
            return size() > 32;
        }
    });

    private record CachedRatings(List<String> order, List<List<BradleyTerry.Game>> games, List<BradleyTerry.Rating> ratings) {
    }

    public PolicyVersionService(JdbcClient jdbc, RankingRepository rankings, TrainerMetricsService metrics) {
        this.jdbc = jdbc;
        this.rankings = rankings;
        this.metrics = metrics;
    }

    /**
     * A policy version: its responses in the project and when the first arrived (0 and null for a
     * version that never reached labelers, such as a rejected one), and what the trainer reported
     * about it (all trainer-wide, not per project): {@code health} (names without the
     * {@code health/} prefix), the guardrail {@code limits}, whether it was {@code promoted} (null
     * when unknown), the guardrails it broke ({@code rejectedBecause}), and {@code evalAccuracy},
     * the held-out accuracy of the reward model of the round that produced it.
     */
    public record PolicyVersion(String version, long responses, Instant firstSeen, Map<String, Double> health,
                                Map<String, Double> limits, Boolean promoted, List<String> rejectedBecause, Double evalAccuracy,
                                String promotion) {
    }

    /**
     * @param ratings Bradley-Terry ratings with bootstrap 95% intervals ({@link BradleyTerry})
     * @param loop    the trainer loop's latest status report, or null
     */
    public record Report(List<PolicyVersion> versions, List<PolicyWinRates.WinRate> winRates, List<BradleyTerry.Rating> ratings,
                         LoopStatus loop) {
    }

    public Report report(UUID projectId) {
        List<PolicyVersion> sampled = jdbc.sql("""
                        SELECT r.policy_version, count(*) AS responses, min(r.created_at) AS first_seen
                        FROM responses r JOIN prompts p ON p.id = r.prompt_id
                        WHERE p.project_id = ? AND r.policy_version IS NOT NULL
                        GROUP BY r.policy_version ORDER BY min(r.created_at), r.policy_version""")
                .param(projectId)
                .query((rs, row) -> new PolicyVersion(rs.getString("policy_version"), rs.getLong("responses"),
                        rs.getObject("first_seen", OffsetDateTime.class).toInstant(), Map.of(), Map.of(), null, List.of(), null, null))
                .list();
        Map<UUID, String> versionOf = new HashMap<>();
        jdbc.sql("""
                        SELECT r.id, r.policy_version FROM responses r JOIN prompts p ON p.id = r.prompt_id
                        WHERE p.project_id = ? AND r.policy_version IS NOT NULL""")
                .param(projectId)
                .query(rs -> {
                    versionOf.put(rs.getObject("id", UUID.class), rs.getString("policy_version"));
                });
        List<PolicyWinRates.RankedVersions> ranked = jdbc.sql("SELECT ranking FROM rankings WHERE project_id = ? ORDER BY id")
                .param(projectId)
                .query((rs, row) -> new PolicyWinRates.RankedVersions(rankings.parseGroups(rs.getString("ranking")), versionOf))
                .list();
        List<String> sampledOrder = sampled.stream().map(PolicyVersion::version).toList();
        return new Report(withHealth(sampled, metrics.policyHealth().versions()), PolicyWinRates.againstPrevious(sampledOrder, ranked),
                ratings(projectId, sampledOrder, ranked), metrics.loopStatus());
    }

    /** The loop's latest status report, or null when the trainer has sent none. */
    public LoopStatus loopStatus() {
        return metrics.loopStatus();
    }

    /** Ratings anchored at the oldest version that played: the lowest-numbered when all are named {@code v<N>}, else the first seen. */
    private List<BradleyTerry.Rating> ratings(UUID projectId, List<String> sampledOrder, List<PolicyWinRates.RankedVersions> ranked) {
        List<String> order = new ArrayList<>(sampledOrder);
        if (order.stream().allMatch(v -> PolicyHealth.number(v) != null)) {
            order.sort(Comparator.comparing(PolicyHealth::number));
        }
        List<List<BradleyTerry.Game>> games = ranked.stream().map(BradleyTerry::games).filter(g -> !g.isEmpty()).toList();
        CachedRatings cached = ratingsCache.get(projectId);
        if (cached != null && cached.order().equals(order) && cached.games().equals(games)) {
            return cached.ratings();
        }
        List<BradleyTerry.Rating> ratings = BradleyTerry.ratings(order, games, BradleyTerry.BOOTSTRAP_ROUNDS, BradleyTerry.BOOTSTRAP_SEED);
        ratingsCache.put(projectId, new CachedRatings(order, games, ratings));
        return ratings;
    }

    /**
     * The sampled versions with the trainer's reports joined in, plus the reported versions the
     * project never saw; by version number when every version is named {@code v<N>}, else the
     * sampled ones in order of appearance followed by the others.
     */
    static List<PolicyVersion> withHealth(List<PolicyVersion> sampled, List<VersionHealth> reported) {
        Map<String, VersionHealth> byName = new LinkedHashMap<>();
        reported.forEach(h -> byName.put(h.version(), h));
        List<PolicyVersion> result = new ArrayList<>();
        for (PolicyVersion v : sampled) {
            VersionHealth h = byName.remove(v.version());
            result.add(h == null ? v : join(v.version(), v.responses(), v.firstSeen(), h));
        }
        byName.values().forEach(h -> result.add(join(h.version(), 0, null, h)));
        if (result.stream().allMatch(v -> PolicyHealth.number(v.version()) != null)) {
            result.sort(Comparator.comparing(v -> PolicyHealth.number(v.version())));
        }
        return result;
    }

    private static PolicyVersion join(String version, long responses, Instant firstSeen, VersionHealth h) {
        return new PolicyVersion(version, responses, firstSeen, h.health(), h.limits(), h.promoted(), h.brokenGuards(), h.evalAccuracy(),
                h.promotionText());
    }
}
