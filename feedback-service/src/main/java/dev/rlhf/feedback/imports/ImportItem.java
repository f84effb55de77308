package dev.rlhf.feedback.imports;

import java.util.List;

import dev.rlhf.feedback.prompt.Conversation;

/**
 * What one line (or, for OASST, one ranked sibling group of a tree) becomes.
 *
 * @param prompt         the conversation the responses answer
 * @param sourceRef      the id in the source dataset (the OASST message id), or null
 * @param responses      distinct response texts, in the line's order
 * @param ranking        an imported preference as tie groups of indices into {@code responses}, best first; null when none
 * @param requestSamples the prompt has no responses yet: ask the trainer for samples
 */
record ImportItem(Conversation prompt, String sourceRef, List<ImportedResponse> responses, List<List<Integer>> ranking,
                  boolean requestSamples) {

    ImportItem {
        responses = List.copyOf(responses);
        ranking = ranking == null ? null : ranking.stream().map(List::copyOf).toList();
    }

    static ImportItem promptOnly(Conversation prompt) {
        return new ImportItem(prompt, null, List.of(), null, true);
    }

    /** Chosen over rejected (HH and pairs). */
    static ImportItem preference(Conversation prompt, ImportedResponse chosen, ImportedResponse rejected) {
        return new ImportItem(prompt, null, List.of(chosen, rejected), List.of(List.of(0), List.of(1)), false);
    }

    record ImportedResponse(String text, String model) {
    }
}
