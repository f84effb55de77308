package dev.rlhf.trainer.align.data;

import dev.rlhf.schemas.ranking.TieGroups.OrderedPair;
import dev.rlhf.trainer.align.reward.Ranking;
import java.util.ArrayList;
import java.util.List;

/**
 * One ranking of the responses to one prompt: a {@code rankings} export line, or a {@code pairs}
 * line as the 2-response ranking {@code [[chosen], [rejected]]}.
 *
 * @param prompt    the prompt text; the model reads {@code prompt + response}
 * @param responses the response texts; {@code ranking} indexes into this list
 * @param ranking   tie groups of response indices, best first
 */
public record RankedResponses(String prompt, List<String> responses, Ranking ranking) {

    public RankedResponses {
        responses = List.copyOf(responses);
        for (int[] group : ranking.groups()) {
            for (int index : group) {
                if (index >= responses.size()) {
                    throw new IllegalArgumentException("ranking refers to response " + index + " of " + responses.size());
                }
            }
        }
    }

    public static RankedResponses pair(String prompt, String chosen, String rejected) {
        return new RankedResponses(prompt, List.of(chosen, rejected), Ranking.pair(0, 1));
    }

    /** Every (better, worse) pair as a preference pair; ties give none. */
    public List<PreferencePair> pairs() {
        List<PreferencePair> out = new ArrayList<>();
        for (OrderedPair<Integer> pair : ranking.orderedPairs()) {
            out.add(new PreferencePair(prompt, responses.get(pair.better()), responses.get(pair.worse())));
        }
        return out;
    }

    /** A preference: {@code chosen} is better than {@code rejected} as a reply to {@code prompt}. */
    public record PreferencePair(String prompt, String chosen, String rejected) {}
}
