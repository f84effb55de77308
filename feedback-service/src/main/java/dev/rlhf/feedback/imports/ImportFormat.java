package dev.rlhf.feedback.imports;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The NDJSON formats {@code POST /api/v1/projects/{projectId}/items?format=} accepts; the name is also the rows' {@code source}. */
public enum ImportFormat {
    /** {@code {"prompt": "..."}}: a prompt without responses; the trainer is asked for samples. */
    PROMPTS,
    /** {@code {"prompt": ..., "responses": [{"text": ..., "model": ...}]}}: a prompt, its responses and ranking tasks. */
    RESPONSES,
    /** OpenAssistant message trees: every ranked sibling group becomes a prompt, responses and the human ranking. */
    OASST,
    /** Anthropic HH-RLHF {@code {"chosen", "rejected"}} transcripts: a prompt, two responses and the preference. */
    HH,
    /** TRL preference pairs {@code {"prompt", "chosen", "rejected"}}. */
    PAIRS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ImportFormat> of(String id) {
        return Arrays.stream(values()).filter(f -> f.id().equals(id)).findFirst();
    }

    public static String ids() {
        return Arrays.stream(values()).map(ImportFormat::id).collect(Collectors.joining(", "));
    }
}
