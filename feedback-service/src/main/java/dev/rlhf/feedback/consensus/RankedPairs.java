package dev.rlhf.feedback.consensus;

import dev.rlhf.schemas.ranking.TieGroups;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tideman's ranked pairs, the consensus method Open-Assistant uses for its ranking tasks, extended
 * to rankings with tie groups.
 * <ol>
 *   <li>For every two items, count the rankings that put a strictly above b and b above a (a tie
 *       or a ranking lacking either is no vote).</li>
 *   <li>Each pair with unequal counts is a majority winner -> loser with margin = the difference.
 *       Pairs with equal counts give no majority.</li>
 *   <li>Lock majorities in order of decreasing margin, skipping any that would close a cycle with
 *       those already locked.</li>
 *   <li>The consensus is the locked graph in layers: the first group is every item nobody beats in
 *       the locked graph, the next group every item beaten only by items already placed, and so on.
 *       Items the locked graph leaves unordered share a group (a tie in the result).</li>
 * </ol>
 * Tie-break (documented, deterministic): majorities of equal margin are locked in order of more
 * votes for the winner first, then by the first appearance of the winner, then of the loser, in the
 * input (first ranking first, best group first). Items within a result group keep that first-appearance order.
 */
public final class RankedPairs {

    private RankedPairs() {
    }

    /** A majority: {@code winner} beat {@code loser} in {@code winnerVotes} rankings, by {@code margin}. */
    record Majority(int winner, int loser, int winnerVotes, int margin) {
    }

    public static <T> List<List<T>> consensus(List<List<List<T>>> rankings) {
        Map<T, Integer> index = new LinkedHashMap<>();
        for (List<List<T>> ranking : rankings) {
            for (List<T> group : ranking) {
                for (T item : group) {
                    index.putIfAbsent(item, index.size());
                }
            }
        }
        List<T> items = new ArrayList<>(index.keySet());
        int n = items.size();
        int[][] wins = new int[n][n];
        for (List<List<T>> ranking : rankings) {
            for (TieGroups.OrderedPair<T> p : TieGroups.strictPairs(ranking)) {
                wins[index.get(p.better())][index.get(p.worse())]++;
            }
        }
        List<Majority> majorities = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                if (wins[a][b] > wins[b][a]) {
                    majorities.add(new Majority(a, b, wins[a][b], wins[a][b] - wins[b][a]));
                } else if (wins[b][a] > wins[a][b]) {
                    majorities.add(new Majority(b, a, wins[b][a], wins[b][a] - wins[a][b]));
                }
            }
        }
        majorities.sort(Comparator.comparingInt(Majority::margin).reversed()
                .thenComparing(Comparator.comparingInt(Majority::winnerVotes).reversed())
                .thenComparingInt(Majority::winner)
                .thenComparingInt(Majority::loser));

        boolean[][] locked = new boolean[n][n];
        for (Majority m : majorities) {
            if (!reaches(locked, m.loser(), m.winner())) {
                locked[m.winner()][m.loser()] = true;
            }
        }
        return layers(locked, items);
    }

    /** Whether {@code to} can be reached from {@code from} along locked edges (locking from->to's reverse would close a cycle). */
    private static boolean reaches(boolean[][] locked, int from, int to) {
        int n = locked.length;
        boolean[] seen = new boolean[n];
        int[] stack = new int[n];
        int top = 0;
        stack[top++] = from;
        seen[from] = true;
        while (top > 0) {
            int node = stack[--top];
            if (node == to) {
                return true;
            }
            for (int next = 0; next < n; next++) {
                if (locked[node][next] && !seen[next]) {
                    seen[next] = true;
                    stack[top++] = next;
                }
            }
        }
        return false;
    }

    private static <T> List<List<T>> layers(boolean[][] locked, List<T> items) {
        int n = items.size();
        boolean[] placed = new boolean[n];
        int remaining = n;
        List<List<T>> groups = new ArrayList<>();
        while (remaining > 0) {
            List<Integer> layer = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                if (placed[v]) {
                    continue;
                }
                boolean beaten = false;
                for (int u = 0; u < n && !beaten; u++) {
                    beaten = !placed[u] && locked[u][v];
                }
                if (!beaten) {
                    layer.add(v);
                }
            }
            // The locked graph is acyclic, so every round places at least one item.
            List<T> group = new ArrayList<>();
            for (int v : layer) {
                placed[v] = true;
                group.add(items.get(v));
            }
            remaining -= layer.size();
            groups.add(group);
        }
        return groups;
    }
}
