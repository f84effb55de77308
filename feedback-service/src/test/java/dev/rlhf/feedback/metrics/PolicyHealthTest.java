package dev.rlhf.feedback.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PolicyHealthTest {

    static MetricPoint p(String run, String phase, long step, String name, double value) {
        return new MetricPoint(run, phase, step, name, value, Instant.EPOCH);
    }

    static MetricPoint health(long version, String name, double value) {
        return p("health", "health", version, name, value);
    }

    @Test
    void foldsHealthGuardsLimitsAndTheRoundsLastEvalAccuracyPerVersion() {
        PolicyHealth book = new PolicyHealth();
        assertThat(book.accept(health(0, "health/kl_to_sft", 0.0))).isTrue();
        book.accept(health(0, "health/promoted", 1));
        book.accept(health(1, "health/kl_to_sft", 3.1));
        book.accept(health(1, "health/distinct2", 0.21));
        book.accept(health(1, "health/promoted", 0));
        book.accept(health(1, "guard/kl_to_sft", 1));
        book.accept(health(1, "guard/distinct2", 1));
        book.accept(health(1, "limit/kl_to_sft", 2.0));
        book.accept(health(1, "limit/distinct2", 0.3));
        book.accept(health(1, "limit/repeat_rate", 0.5));
        assertThat(book.accept(p("round-1", "reward", 20, "eval_accuracy", 0.71))).isTrue();
        assertThat(book.accept(p("round-1", "reward", 10, "eval_accuracy", 0.6))).as("an earlier step arriving late").isFalse();
        assertThat(book.accept(p("round-1", "reward", 20, "accuracy", 0.9))).isFalse();
        assertThat(book.accept(p("round-1", "ppo", 3, "objective/kl", 0.1))).isFalse();
        assertThat(book.accept(p("loop", "loop", 1_700_000_000, "loop/version", 0))).isFalse();
        book.accept(health(2, "health/promoted", 1));

        List<VersionHealth> versions = book.versions();

        assertThat(versions).extracting(VersionHealth::version).containsExactly("v0", "v1", "v2");
        VersionHealth v0 = versions.get(0), v1 = versions.get(1);
        assertThat(v0.promoted()).isTrue();
        assertThat(v0.promotionText()).isEqualTo("promoted");
        assertThat(v0.evalAccuracy()).isNull();
        assertThat(v1.promoted()).isFalse();
        assertThat(v1.health()).containsEntry("kl_to_sft", 3.1).containsEntry("distinct2", 0.21);
        assertThat(v1.limits()).containsEntry("kl_to_sft", 2.0).containsEntry("repeat_rate", 0.5);
        assertThat(v1.brokenGuards()).containsExactly("kl_to_sft", "distinct2");
        assertThat(v1.promotionText()).isEqualTo("rejected: KL to SFT 3.1 > 2.0; distinct-2 0.21 < 0.3");
        assertThat(v1.evalAccuracy()).isEqualTo(0.71);
        assertThat(new VersionHealth(5, Map.of(), Map.of(), List.of(), null).promotionText()).as("unknown").isNull();
    }

    @Test
    void numbersKeepThreeSignificantDigitsAndADecimal() {
        assertThat(VersionHealth.number(2)).isEqualTo("2.0");
        assertThat(VersionHealth.number(3.14159)).isEqualTo("3.14");
        assertThat(VersionHealth.number(57.25)).isEqualTo("57.3");
        assertThat(VersionHealth.number(0.000412)).isEqualTo("0.000412");
        assertThat(PolicyHealth.number("v12")).isEqualTo(12);
        assertThat(PolicyHealth.number("policy-1")).isNull();
    }

    static LoopStatus loop(long round, long comparisonsNew, long idle, long pending) {
        return loop(round, comparisonsNew, idle, pending, 0);
    }

    static LoopStatus loop(long round, long comparisonsNew, long idle, long pending, long awaiting) {
        Map<String, MetricPoint> latest = new LinkedHashMap<>();
        long step = 1_700_000_000;
        for (var e : Map.of("loop/version", 3L, "loop/round", round, "loop/comparisons_new", comparisonsNew, "loop/train_every", 60L,
                "loop/idle_seconds", idle, "loop/idle_limit_seconds", 30L, "loop/requests_pending", pending,
                "loop/tasks_awaiting", awaiting).entrySet()) {
            latest.put(e.getKey(), p("loop", "loop", step, e.getKey(), e.getValue()));
        }
        return LoopStatus.of(latest);
    }

    @Test
    void theLoopSaysWhatItIsWaitingFor() {
        assertThat(loop(3, 0, 0, 0).waitingFor()).isEqualTo("Round 3 running");
        assertThat(loop(0, 46, 10, 0).waitingFor()).isEqualTo("Waiting for 14 more comparisons (46 of 60), or 20 s more without rankings");
        assertThat(loop(0, 0, 10, 0).waitingFor())
                .isEqualTo("Waiting for 60 more comparisons (0 of 60); after 20 s more without rankings it samples fresh responses");
        assertThat(loop(0, 0, 45, 12).waitingFor()).isEqualTo("Answering 12 sample requests");
        assertThat(loop(0, 1, 40, 0).waitingFor()).isEqualTo("Waiting for 59 more comparisons (1 of 60), or 0 s more without rankings");
        assertThat(loop(0, 60, 0, 0).waitingFor()).isEqualTo("Starting a round on 60 new comparisons");
        assertThat(loop(0, 46, 10, 0, 40).waitingFor())
                .isEqualTo("Waiting for 14 more comparisons (46 of 60), while labelers rank the new samples of 40 prompts");
        assertThat(loop(0, 46, 10, 0, 1).waitingFor())
                .isEqualTo("Waiting for 14 more comparisons (46 of 60), while labelers rank the new samples of 1 prompt");
        assertThat(LoopStatus.of(Map.of())).isNull();

        LoopStatus status = loop(3, 0, 0, 0);
        assertThat(status.version()).isEqualTo(3);
        assertThat(status.reportedAt()).isEqualTo(Instant.ofEpochSecond(1_700_000_000));
        assertThat(status.describe(Instant.ofEpochSecond(1_700_000_004))).isEqualTo("Trainer loop (v3 promoted): Round 3 running (reported 4 s ago)");
        assertThat(status.describe(Instant.ofEpochSecond(1_700_000_300)))
                .isEqualTo("Trainer loop (v3 promoted): no report for 5 min; it last said: Round 3 running");
    }
}
