package dev.rlhf.feedback.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Head-to-head win rate of each policy version against the version before it, from human
 * rankings: over every ranking that holds responses of both, each strictly ordered pair (one
 * response of each version) is a win or a loss for the newer version; ties count for neither.
 */
public final class PolicyWinRates {

    private PolicyWinRates() {
    }

    /** A ranking (tie groups of response ids, best first) and the policy version of each response (null for imported ones). */
    public record RankedVersions(List<List<UUID>> groups, Map<UUID, String> versionOf) {
    }

    /**
     * @param version  the newer version
     * @param previous the version it is compared with
     * @param winRate  wins / (wins + losses), or null when no pair compared them
     */
    public record WinRate(String version, String previous, long wins, long losses, long ties, Double winRate) {
    }

    /** Win rates of each version (in {@code versionsInOrder}, oldest first) against its predecessor. */
    public static List<WinRate> againstPrevious(List<String> versionsInOrder, List<RankedVersions> rankings) {
        Map<String, long[]> tally = new LinkedHashMap<>();
        for (int i = 1; i < versionsInOrder.size(); i++) {
            tally.put(versionsInOrder.get(i), new long[3]);
        }
        for (RankedVersions r : rankings) {
            Map<UUID, Integer> groupOf = new LinkedHashMap<>();
            for (int g = 0; g < r.groups().size(); g++) {
                for (UUID id : r.groups().get(g)) {
                    groupOf.put(id, g);
                }
            }
            for (int i = 1; i < versionsInOrder.size(); i++) {
                String newer = versionsInOrder.get(i);
                String older = versionsInOrder.get(i - 1);
                long[] t = tally.get(newer);
                for (var a : groupOf.entrySet()) {
                    if (!newer.equals(r.versionOf().get(a.getKey()))) {
                        continue;
                    }
                    for (var b : groupOf.entrySet()) {
                        if (!older.equals(r.versionOf().get(b.getKey()))) {
                            continue;
                        }
                        int cmp = Integer.compare(a.getValue(), b.getValue());
                        t[cmp < 0 ? 0 : cmp > 0 ? 1 : 2]++;
                    }
                }
            }
        }
        List<WinRate> result = new ArrayList<>();
        for (int i = 1; i < versionsInOrder.size(); i++) {
            long[] t = tally.get(versionsInOrder.get(i));
            long decided = t[0] + t[1];
            result.add(new WinRate(versionsInOrder.get(i), versionsInOrder.get(i - 1), t[0], t[1], t[2],
                    decided == 0 ? null : (double) t[0] / decided));
        }
        return result;
    }
}
