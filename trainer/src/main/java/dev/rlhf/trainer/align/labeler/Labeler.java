package dev.rlhf.trainer.align.labeler;

import dev.rlhf.trainer.align.reward.Ranking;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A simulated labeler for tests and demos: a fixed preference over responses, expressed as a
 * score (higher is better), and rankings of K responses that may be noisy the way human labels are.
 */
public interface Labeler {

    /** The labeler's true preference score of {@code response} as a reply to {@code prompt}. */
    double score(String prompt, String response);

    /** The ranking as the labeler reports it (possibly with noise), tie groups best first. */
    Ranking rank(String prompt, List<String> responses);

    /** The noiseless ranking by {@link #score}: equal scores form one tie group. */
    default Ranking trueRanking(String prompt, List<String> responses) {
        List<Integer> order = new ArrayList<>();
        double[] scores = new double[responses.size()];
        for (int i = 0; i < responses.size(); i++) {
            scores[i] = score(prompt, responses.get(i));
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
        List<int[]> groups = new ArrayList<>();
        List<Integer> group = new ArrayList<>();
        for (int i : order) {
            if (!group.isEmpty() && scores[group.get(0)] != scores[i]) {
                groups.add(group.stream().mapToInt(Integer::intValue).toArray());
                group = new ArrayList<>();
            }
            group.add(i);
        }
        groups.add(group.stream().mapToInt(Integer::intValue).toArray());
        return new Ranking(groups);
    }
}
