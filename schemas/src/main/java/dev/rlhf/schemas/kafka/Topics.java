package dev.rlhf.schemas.kafka;

/** Default topic names (see CONTRACTS.md); every service lets configuration override them. */
public final class Topics {
    public static final String RANKINGS = "rlhf.rankings.v1";
    public static final String SAMPLE_REQUESTS = "rlhf.sample-requests.v1";
    public static final String SAMPLES = "rlhf.samples.v1";
    public static final String TRAINER_METRICS = "rlhf.trainer-metrics.v1";

    /** Suffix of the dead-letter topic of each topic: records a consumer cannot process. */
    public static final String DEAD_LETTER_SUFFIX = ".DLT";

    private Topics() {
    }

    public static String deadLetter(String topic) {
        return topic + DEAD_LETTER_SUFFIX;
    }
}
