package dev.rlhf.feedback.policy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.ranking.RankingRepository;

/** The policy versions that produced a project's responses, and how each fared against the one before. */
@Service
public class PolicyVersionService {

    private final JdbcClient jdbc;
    private final RankingRepository rankings;

    public PolicyVersionService(JdbcClient jdbc, RankingRepository rankings) {
        this.jdbc = jdbc;
        this.rankings = rankings;
    }

    /** A policy version as seen in a project: its responses and when the first arrived. */
    public record PolicyVersion(String version, long responses, Instant firstSeen) {
    }

    public record Report(List<PolicyVersion> versions, List<PolicyWinRates.WinRate> winRates) {
    }

    public Report report(UUID projectId) {
        List<PolicyVersion> versions = jdbc.sql("""
                        SELECT r.policy_version, count(*) AS responses, min(r.created_at) AS first_seen
                        FROM responses r JOIN prompts p ON p.id = r.prompt_id
                        WHERE p.project_id = ? AND r.policy_version IS NOT NULL
                        GROUP BY r.policy_version ORDER BY min(r.created_at), r.policy_version""")
                .param(projectId)
                .query((rs, row) -> new PolicyVersion(rs.getString("policy_version"), rs.getLong("responses"),
                        rs.getObject("first_seen", OffsetDateTime.class).toInstant()))
                .list();
        Map<UUID, String> versionOf = new HashMap<>();
        jdbc.sql("""
                        SELECT r.id, r.policy_version FROM responses r JOIN prompts p ON p.id = r.prompt_id
                        WHERE p.project_id = ? AND r.policy_version IS NOT NULL""")
                .param(projectId)
                .query(rs -> {
                    versionOf.put(rs.getObject("id", UUID.class), rs.getString("policy_version"));
                });
        List<PolicyWinRates.RankedVersions> ranked = jdbc.sql("SELECT ranking FROM rankings WHERE project_id = ?")
                .param(projectId)
                .query((rs, row) -> new PolicyWinRates.RankedVersions(rankings.parseGroups(rs.getString("ranking")), versionOf))
                .list();
        return new Report(versions, PolicyWinRates.againstPrevious(versions.stream().map(PolicyVersion::version).toList(), ranked));
    }
}
