package dev.rlhf.trainer.serve;

import java.nio.file.Path;

/**
 * The on-disk layout of a serve run's {@code --state-dir}: every path the loop reads or writes is named here.
 * <pre>
 * rankings.jsonl                      the stored rankings ({@link PreferenceStore})
 * sample-requests.jsonl               the stored sample requests ({@link SampleRequests})
 * state.json                          where the loop stands ({@link LoopState})
 * health/prompts.json                 the fixed probe prompts
 * health/metrics.jsonl                every version's health metrics
 * health/v0/                          the SFT policy's health.json and samples.jsonl
 * policies/v&lt;N&gt;/                      each trained version (weights, tokenizer files, health.json)
 * rounds/round-&lt;N&gt;/                   a round's metrics.jsonl, reward/, dpo/ or ppo/, health samples
 * </pre>
 *
 * @param root       the state directory
 * @param basePolicy the SFT policy given with --model: version 0, which is not a directory of ours (null when only
 *                   reading a state directory, as {@code trainer versions} does)
 */
public record StateLayout(Path root, Path basePolicy) {

    /** A version's health and promotion decision, written beside its weights. */
    public static final String HEALTH_FILE = "health.json";
    public static final String REQUESTS_FILE = "sample-requests.jsonl";

    public static String versionName(int version) {
        return "v" + version;
    }

    public Path rankings() {
        return root.resolve(PreferenceStore.FILE);
    }

    public Path requests() {
        return root.resolve(REQUESTS_FILE);
    }

    /** The weights of a version: the SFT policy for v0, else its directory under {@code policies/}. */
    public Path policy(int version) {
        return version == 0 ? basePolicy : policyDir(version);
    }

    /** The directory of the trained versions, {@code v1}, {@code v2}, ... */
    public Path policies() {
        return root.resolve("policies");
    }

    public Path policyDir(int version) {
        return policies().resolve(versionName(version));
    }

    public Path roundDir(int round) {
        return root.resolve("rounds").resolve("round-" + round);
    }

    public Path roundMetrics(int round) {
        return roundDir(round).resolve("metrics.jsonl");
    }

    /** The reward model a round trained (its {@code reward/} run directory holds it under {@code model/}). */
    public Path rewardModel(int round) {
        return roundDir(round).resolve("reward").resolve("model");
    }

    public Path healthPrompts() {
        return root.resolve("health").resolve("prompts.json");
    }

    public Path healthMetrics() {
        return root.resolve("health").resolve("metrics.jsonl");
    }

    /** A version's {@value #HEALTH_FILE}: its health and promotion decision. */
    public Path health(int version) {
        return healthDir(version).resolve(HEALTH_FILE);
    }

    /** The probe samples a version's health was measured on. */
    public Path probeSamples(int version) {
        return version == 0 ? healthDir(0).resolve("samples.jsonl") : roundDir(version).resolve("health-samples.jsonl");
    }

    /** Where a version's health lives: beside its weights, or for v0 (not a directory of ours) under {@code health/v0}. */
    public Path healthDir(int version) {
        return version == 0 ? root.resolve("health").resolve(versionName(0)) : policyDir(version);
    }
}
