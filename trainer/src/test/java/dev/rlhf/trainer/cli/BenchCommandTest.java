package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code trainer bench} reports every measurement it promises (timings themselves vary by machine). */
class BenchCommandTest {

    /**
     * Logback prints its start-up status (timestamped lines) to stdout when it starts; started inside
     * the command it would land in the captured stdout this test parses as JSON lines.
     */
    @BeforeAll
    static void startLoggingBeforeStdoutIsCaptured() {
        org.slf4j.LoggerFactory.getLogger(BenchCommandTest.class).debug("logging started");
    }

    @Test
    void reportsDecodingAlignmentTrainingAndTrainingUtilisation() {
        GenerateCommandTest.Result r = GenerateCommandTest.run("bench", "--model", SharedData.stories260kModel().toString(),
                "--tokenizer", SharedData.stories260kTokenizer().toString(), "--contexts", "24,48", "--decode-steps", "8",
                "--ppo-prompts", "2", "--ppo-samples", "2", "--ppo-new-tokens", "6", "--ppo-mini-batches", "2",
                "--ppo-rollouts", "1", "--preference-rankings", "4", "--preference-tokens", "6", "--preference-batch", "2",
                "--preference-steps", "3",
                "--width", "64", "--layers", "1", "--batch-size", "2", "--seq-len", "32", "--matmul-size", "256",
                "--device", "cpu");
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> lines = r.json();
        assertThat(lines).hasSize(12);
        assertThat(lines.subList(0, 4)).allMatch(l -> l.get("benchmark").asString().equals("generate")
                && l.get("tokens_per_second").asDouble() > 0);
        assertThat(lines.subList(0, 4).stream().map(l -> l.get("context").asInt() + "/" + l.get("kv_cache").asBoolean()))
                .containsExactly("24/true", "24/false", "48/true", "48/false");
        JsonNode ppo = lines.get(4);
        assertThat(ppo.get("benchmark").asString()).isEqualTo("ppo");
        assertThat(ppo.get("responses_per_rollout").asInt()).isEqualTo(4);
        assertThat(ppo.get("rollout_tokens_per_second").asDouble()).isPositive();
        assertThat(ppo.get("seconds_per_update").asDouble()).isPositive();
        assertThat(ppo.get("models_held").asInt()).isEqualTo(4);
        // The critic-free rows on the same rollouts' shape hold one model less: no critic.
        for (int i = 5; i <= 6; i++) {
            JsonNode criticFree = lines.get(i);
            assertThat(criticFree.get("benchmark").asString()).isEqualTo(i == 5 ? "rloo" : "grpo");
            assertThat(criticFree.get("seconds_per_update").asDouble()).isPositive();
            assertThat(criticFree.get("models_held").asInt()).isEqualTo(3);
            assertThat(criticFree.get("parameters_held").asLong()).isLessThan(ppo.get("parameters_held").asLong());
        }
        JsonNode generation = lines.get(7);
        assertThat(generation.get("benchmark").asString()).isEqualTo("rollout_generation");
        assertThat(generation.get("responses").asInt()).isEqualTo(4);
        assertThat(generation.get("tokens_per_second").asDouble()).isPositive();
        // 4 rankings of 4 with a full order: 6 pairs each; DPO takes 2 pairs a step, the reward model 2 rankings
        JsonNode dpo = lines.get(8);
        assertThat(dpo.get("benchmark").asString()).isEqualTo("dpo");
        assertThat(dpo.get("timed_steps").asInt()).isEqualTo(2);
        assertThat(dpo.get("pairs").asInt()).isEqualTo(4);
        assertThat(dpo.get("pairs_per_second").asDouble()).isPositive();
        assertThat(dpo.get("steps_per_second").asDouble()).isPositive();
        assertThat(dpo.get("peak_memory_mib").asDouble()).isPositive(); // the process's resident set on Linux
        // KTO: each ranking's best and worst response, 8 examples; 2 a step
        JsonNode kto = lines.get(9);
        assertThat(kto.get("benchmark").asString()).isEqualTo("kto");
        assertThat(kto.get("timed_steps").asInt()).isEqualTo(2);
        assertThat(kto.get("examples").asInt()).isEqualTo(4);
        assertThat(kto.get("examples_per_second").asDouble()).isPositive();
        assertThat(kto.get("steps_per_second").asDouble()).isPositive();
        assertThat(kto.get("peak_memory_mib").asDouble()).isPositive();
        assertThat(kto.has("memory_growth_mib")).isTrue();
        JsonNode rm = lines.get(10);
        assertThat(rm.get("benchmark").asString()).isEqualTo("reward_model");
        assertThat(rm.get("pairs").asInt()).isEqualTo(24);
        assertThat(rm.get("pairs_per_second").asDouble()).isPositive();
        JsonNode sft = lines.get(11);
        assertThat(sft.get("benchmark").asString()).isEqualTo("sft");
        assertThat(sft.get("gflops_per_second").asDouble()).isPositive();
        assertThat(sft.get("fraction_of_matmul").asDouble()).isBetween(0.0, 1.5);
    }
}
