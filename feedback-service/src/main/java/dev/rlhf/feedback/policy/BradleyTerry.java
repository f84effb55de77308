package dev.rlhf.feedback.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Bradley-Terry ratings of policy versions from human rankings, fitted the way LMArena (Chatbot
 * Arena) fits its leaderboard: the maximum-likelihood logistic model P(a beats b) =
 * 1 / (1 + 10^((R_b - R_a) / 400)), a tie counting as half a win for each side, ratings on the Elo
 * scale with one version anchored (here the oldest rated one, normally v0, at {@value #ANCHOR_RATING}),
 * and 95% intervals from a seeded bootstrap: the rankings are resampled with replacement
 * {@value #BOOTSTRAP_ROUNDS} times, refitted, and the 2.5th and 97.5th percentiles of each
 * version's rating kept (FastChat's {@code compute_mle_elo} and {@code get_bootstrap_result};
 * Chiang et al. 2024, "Chatbot Arena", arXiv:2403.04132). A ranking, not a single pair, is the unit
 * resampled, since the pairs of one ranking share a prompt and a labeler.
 *
 * <p>Games: in each ranking, every pair of responses from two different policy versions is one
 * game; pairs of the same version and responses without a version are ignored.
 *
 * <p>When the maximum-likelihood estimate has no finite solution (some group of versions won, or
 * lost, every game against the rest, as happens early on or in a bootstrap resample), a weak
 * Gaussian prior on the log-strengths (standard deviation {@value #PRIOR_SD} nats, i.e. about
 * 1700 rating points) keeps the ratings finite; otherwise the plain MLE is returned, unchanged.
 */
public final class BradleyTerry {

    public static final double ANCHOR_RATING = 1000;
    /** Rating points per unit of natural log-odds: 400 / ln 10. */
    public static final double SCALE = 400 / Math.log(10);
    public static final int BOOTSTRAP_ROUNDS = 1000;
    public static final long BOOTSTRAP_SEED = 42;
    static final double PRIOR_SD = 10;

    private BradleyTerry() {
    }

    /** One game: {@code scoreA} is 1 when a won, 0 when b won, 0.5 for a tie. */
    public record Game(String a, String b, double scoreA) {
    }

    /**
     * A version's rating with its bootstrap interval (null when no bootstrap round rated it), and
     * the number of games it played.
     */
    public record Rating(String version, double rating, Double lower, Double upper, long games) {
    }

    /** The games of one ranking (tie groups of response ids, best first). */
    public static List<Game> games(PolicyWinRates.RankedVersions ranking) {
        List<String> versions = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        for (int g = 0; g < ranking.groups().size(); g++) {
            for (UUID id : ranking.groups().get(g)) {
                String v = ranking.versionOf().get(id);
                if (v != null) {
                    versions.add(v);
                    groups.add(g);
                }
            }
        }
        List<Game> games = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            for (int j = i + 1; j < versions.size(); j++) {
                if (versions.get(i).equals(versions.get(j))) {
                    continue;
                }
                int cmp = Integer.compare(groups.get(i), groups.get(j));
                games.add(new Game(versions.get(i), versions.get(j), cmp < 0 ? 1 : cmp > 0 ? 0 : 0.5));
            }
        }
        return games;
    }

    /**
     * Ratings of the versions that played, in the order of {@code versionsInOrder} (versions not
     * listed there come after, by name); the first of them that played is the anchor.
     *
     * @param rankings the games of each ranking; rankings without games are left out, the others
     *                 are what the bootstrap resamples
     */
    public static List<Rating> ratings(List<String> versionsInOrder, List<List<Game>> rankings, int rounds, long seed) {
        List<String> order = new ArrayList<>(versionsInOrder);
        Map<String, Long> gamesOf = new LinkedHashMap<>();
        rankings.forEach(r -> r.forEach(g -> {
            gamesOf.merge(g.a(), 1L, Long::sum);
            gamesOf.merge(g.b(), 1L, Long::sum);
        }));
        gamesOf.keySet().stream().filter(v -> !order.contains(v)).sorted().forEach(order::add);
        List<String> players = order.stream().filter(gamesOf::containsKey).toList();
        if (players.isEmpty()) {
            return List.of();
        }
        int k = players.size();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < k; i++) {
            index.put(players.get(i), i);
        }
        // Each ranking as its games per pair of players, (a, b, games, points of a) quadruples; rankings
        // with the same quadruples are one kind, so a resample only counts how often each kind is drawn.
        Map<List<Double>, Integer> kindOf = new HashMap<>();
        List<double[]> kinds = new ArrayList<>();
        List<Integer> drawn = new ArrayList<>();
        for (List<Game> r : rankings) {
            if (r.isEmpty()) {
                continue;
            }
            Map<List<Integer>, double[]> byPair = new java.util.TreeMap<>(java.util.Comparator.<List<Integer>>comparingInt(l -> l.get(0))
                    .thenComparingInt(l -> l.get(1)));
            for (Game g : r) {
                int a = index.get(g.a()), b = index.get(g.b());
                double points = g.scoreA();
                if (a > b) {
                    int t = a;
                    a = b;
                    b = t;
                    points = 1 - points;
                }
                double[] tally = byPair.computeIfAbsent(List.of(a, b), key -> new double[2]);
                tally[0]++;
                tally[1] += points;
            }
            List<Double> key = new ArrayList<>();
            byPair.forEach((pair, tally) -> {
                key.add((double) pair.get(0));
                key.add((double) pair.get(1));
                key.add(tally[0]);
                key.add(tally[1]);
            });
            drawn.add(kindOf.computeIfAbsent(key, newKind -> {
                kinds.add(newKind.stream().mapToDouble(Double::doubleValue).toArray());
                return kinds.size() - 1;
            }));
        }
        int[] kindOfRanking = drawn.stream().mapToInt(Integer::intValue).toArray();
        double[][] n = new double[k][k];
        double[][] w = new double[k][k];
        for (int kind : kindOfRanking) {
            tally(kinds.get(kind), 1, n, w);
        }
        double[] point = fit(n, w);

        double[][] samples = new double[k][rounds];
        int[] counts = new int[k];
        SplittableRandom random = new SplittableRandom(seed);
        int[] times = new int[kinds.size()];
        for (int round = 0; round < rounds; round++) {
            Arrays.fill(times, 0);
            for (int i = 0; i < kindOfRanking.length; i++) {
                times[kindOfRanking[random.nextInt(kindOfRanking.length)]]++;
            }
            double[][] rn = new double[k][k];
            double[][] rw = new double[k][k];
            for (int kind = 0; kind < times.length; kind++) {
                if (times[kind] > 0) {
                    tally(kinds.get(kind), times[kind], rn, rw);
                }
            }
            // Only the versions that played in this resample are rated in it; a round in which the
            // anchor played no game has nothing to measure the others against.
            int[] present = java.util.stream.IntStream.range(0, k).filter(i -> Arrays.stream(rn[i]).sum() > 0).toArray();
            if (present.length == 0 || present[0] != 0) {
                continue;
            }
            double[] ratings = fit(sub(rn, present), sub(rw, present));
            for (int i = 0; i < present.length; i++) {
                samples[present[i]][counts[present[i]]++] = ratings[i];
            }
        }
        List<Rating> result = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double[] s = Arrays.copyOf(samples[i], counts[i]);
            Arrays.sort(s);
            boolean none = s.length == 0;
            result.add(new Rating(players.get(i), point[i], none ? null : percentile(s, 2.5), none ? null : percentile(s, 97.5),
                    gamesOf.get(players.get(i))));
        }
        return result;
    }

    /**
     * The ratings of {@code players} (the first is the anchor, at {@value #ANCHOR_RATING}) that
     * maximise the likelihood of {@code games}, or its posterior under the weak prior when the
     * likelihood alone has no finite maximum. Every player must have played.
     */
    public static Map<String, Double> fit(List<String> players, List<Game> games) {
        int k = players.size();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < k; i++) {
            index.put(players.get(i), i);
        }
        double[][] n = new double[k][k];
        double[][] w = new double[k][k];
        for (Game g : games) {
            tally(new double[] {index.get(g.a()), index.get(g.b()), 1, g.scoreA()}, 1, n, w);
        }
        double[] ratings = fit(n, w);
        Map<String, Double> result = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            result.put(players.get(i), ratings[i]);
        }
        return result;
    }

    /** Adds {@code times} times the (a, b, games, points of a) quadruples to n (games between i and j) and w (points i scored against j). */
    private static void tally(double[] quadruples, int times, double[][] n, double[][] w) {
        for (int t = 0; t < quadruples.length; t += 4) {
            int a = (int) quadruples[t], b = (int) quadruples[t + 1];
            double games = quadruples[t + 2] * times, points = quadruples[t + 3] * times;
            n[a][b] += games;
            n[b][a] += games;
            w[a][b] += points;
            w[b][a] += games - points;
        }
    }

    private static double[][] sub(double[][] m, int[] keep) {
        double[][] result = new double[keep.length][keep.length];
        for (int i = 0; i < keep.length; i++) {
            for (int j = 0; j < keep.length; j++) {
                result[i][j] = m[keep[i]][keep[j]];
            }
        }
        return result;
    }

    private static double[] fit(double[][] n, double[][] w) {
        double prior = finiteMaximum(w) ? 0 : 1 / (PRIOR_SD * PRIOR_SD);
        double[] theta = newton(n, w, prior);
        double[] ratings = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            ratings[i] = ANCHOR_RATING + SCALE * theta[i];
        }
        return ratings;
    }

    /**
     * Whether the likelihood has a finite maximum (Zermelo 1929; Ford 1957): in the graph with an
     * edge i -> j whenever i scored against j, every player reaches every other.
     */
    static boolean finiteMaximum(double[][] w) {
        int k = w.length;
        for (int start = 0; start < k; start++) {
            boolean[] seen = new boolean[k];
            seen[start] = true;
            int reached = 1;
            List<Integer> queue = new ArrayList<>(List.of(start));
            while (!queue.isEmpty()) {
                int i = queue.removeLast();
                for (int j = 0; j < k; j++) {
                    if (!seen[j] && w[i][j] > 0) {
                        seen[j] = true;
                        reached++;
                        queue.add(j);
                    }
                }
            }
            if (reached < k) {
                return false;
            }
        }
        return true;
    }

    /**
     * Newton's method on the (concave) log-likelihood in natural log-strengths, player 0 fixed at 0,
     * with step halving so that every step improves it; {@code prior} is the precision of a
     * zero-mean Gaussian prior on the others (0 for none).
     */
    private static double[] newton(double[][] n, double[][] w, double prior) {
        int k = n.length;
        double[] theta = new double[k];
        double current = objective(theta, n, w, prior);
        double games = 0;
        for (double[] row : n) {
            games += Arrays.stream(row).sum();
        }
        double tolerance = 1e-11 * Math.max(1, games);
        for (int iteration = 0; iteration < 200 && k > 1; iteration++) {
            double[] gradient = new double[k - 1];
            double[][] hessian = new double[k - 1][k - 1];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    if (i == j || n[i][j] == 0) {
                        continue;
                    }
                    double p = sigmoid(theta[i] - theta[j]);
                    if (i > 0) {
                        // d/dtheta_i of the log-likelihood, and minus the second derivatives
                        gradient[i - 1] += w[i][j] - n[i][j] * p;
                        hessian[i - 1][i - 1] += n[i][j] * p * (1 - p);
                        if (j > 0) {
                            hessian[i - 1][j - 1] -= n[i][j] * p * (1 - p);
                        }
                    }
                }
            }
            double largest = 0;
            for (int i = 1; i < k; i++) {
                gradient[i - 1] -= prior * theta[i];
                hessian[i - 1][i - 1] += prior;
                largest = Math.max(largest, Math.abs(gradient[i - 1]));
            }
            if (largest < tolerance) {
                break;
            }
            double[] step = solve(hessian, gradient);
            double scale = 1;
            double[] next = new double[k];
            double value;
            do {
                for (int i = 1; i < k; i++) {
                    next[i] = theta[i] + scale * step[i - 1];
                }
                value = objective(next, n, w, prior);
                scale /= 2;
            } while (value < current - 1e-12 && scale > 1e-10);
            boolean moved = false;
            for (int i = 1; i < k; i++) {
                moved |= Math.abs(next[i] - theta[i]) > 1e-15;
            }
            theta = next;
            current = value;
            if (!moved) {
                break;
            }
        }
        return theta;
    }

    private static double objective(double[] theta, double[][] n, double[][] w, double prior) {
        double sum = 0;
        for (int i = 0; i < theta.length; i++) {
            for (int j = 0; j < theta.length; j++) {
                if (i != j && w[i][j] > 0) {
                    sum += w[i][j] * logSigmoid(theta[i] - theta[j]);
                }
            }
            sum -= prior * theta[i] * theta[i] / 2;
        }
        return sum;
    }

    /** Solves the symmetric positive definite system a x = b (Gaussian elimination with partial pivoting). */
    private static double[] solve(double[][] a, double[] b) {
        int m = b.length;
        double[][] x = new double[m][];
        double[] y = b.clone();
        for (int i = 0; i < m; i++) {
            x[i] = a[i].clone();
        }
        for (int c = 0; c < m; c++) {
            int pivot = c;
            for (int r = c + 1; r < m; r++) {
                if (Math.abs(x[r][c]) > Math.abs(x[pivot][c])) {
                    pivot = r;
                }
            }
            double[] row = x[c];
            x[c] = x[pivot];
            x[pivot] = row;
            double t = y[c];
            y[c] = y[pivot];
            y[pivot] = t;
            for (int r = c + 1; r < m; r++) {
                double f = x[r][c] / x[c][c];
                for (int cc = c; cc < m; cc++) {
                    x[r][cc] -= f * x[c][cc];
                }
                y[r] -= f * y[c];
            }
        }
        double[] result = new double[m];
        for (int r = m - 1; r >= 0; r--) {
            double s = y[r];
            for (int cc = r + 1; cc < m; cc++) {
                s -= x[r][cc] * result[cc];
            }
            result[r] = s / x[r][r];
        }
        return result;
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    private static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    /** Linear interpolation between closest ranks (numpy's default), on sorted values. */
    static double percentile(double[] sorted, double percent) {
        double position = percent / 100 * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
