package dev.rlhf.feedback.export;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The export line formats (see the README section "Exports, consensus and agreement"). */
public enum ExportFormat {
    /** One line per preference pair: prompt/chosen/rejected texts (TRL, OpenRLHF), plus the prompt's conversation. */
    PAIRS,
    /** One line per preference pair as chat messages (TRL's conversational implicit-prompt format). */
    MESSAGES,
    /** One line per individual submitted ranking, raw. */
    RANKINGS,
    /** One line per prompt: the ranked-pairs consensus and its agreement. */
    CONSENSUS,
    /** One line per rewrite: {"prompt", "completion"}, plus the prompt's conversation. */
    SFT,
    /**
     * One line per labelled response of each individual ranking: {"prompt", "completion", "label"} (TRL's KTO
     * format), labels from {@link dev.rlhf.schemas.ranking.GradedFeedback#unpairedLabels}.
     */
    KTO;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ExportFormat parse(String value) {
        for (ExportFormat f : values()) {
            if (f.id().equals(value)) {
                return f;
            }
        }
        throw new IllegalArgumentException("format must be one of " + Arrays.stream(values()).map(ExportFormat::id)
                .collect(Collectors.joining(", ")) + (value == null ? "" : ", not '" + value + "'"));
    }
}
