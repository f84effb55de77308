package dev.rlhf.trainer.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The health probe on stories260K: the SFT policy against itself, and a policy pushed away from it. */
class HealthProbeTest {

    static final List<String> PROMPTS = List.of("Once upon a time, there was a boy named Sam who liked to",
            "The cat sat on the wall and looked at the", "Lily had a red ball. One morning,", "A little mouse lived in a hole.");

    @BeforeAll
    static void noGrad() {
        Devices.noGradOnThisThread();
    }

    static LoadedModel stories() throws Exception {
        return ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }

    @Test
    void theSftPolicyHasKlZeroToItselfAndItsTeacherForcedLikelihoodMatchesTheSampler() throws Exception {
        try (LoadedModel sft = stories(); LoadedModel copy = stories()) {
            HealthProbe.Result r = HealthProbe.measure(copy, sft, null, 128, PROMPTS, 4, 24, 7);
            PolicyHealth h = r.health();
            assertThat(h.samples()).isEqualTo(16);
            assertThat(h.klToSft()).as("two copies of one model score the same tokens identically").isEqualTo(0.0);
            assertThat(h.klToSftSeq()).isEqualTo(0.0);
            // The sampler's own per-token log-probabilities (KV cache, one step at a time) agree with the
            // probe's teacher-forced pass: the probe scores the sampled tokens at the right positions.
            double sampled = 0;
            long tokens = 0;
            for (GeneratedSample s : r.samples()) {
                sampled += s.logprob();
                tokens += s.tokenIds().length;
            }
            assertThat(h.length()).isCloseTo(tokens / 16.0, within(1e-9));
            assertThat(h.sftLogprob()).isCloseTo(sampled / tokens, within(1e-3));
            assertThat(h.distinct2()).isBetween(0.3, 1.0);
            assertThat(h.score()).isNull();
        }
    }

    @Test
    void aPolicyWithSharperLogitsHasPositiveKlAndLessLikelySamplesUnderSft() throws Exception {
        try (LoadedModel sft = stories(); LoadedModel sharper = stories()) {
            // Doubling the final norm's gain doubles every logit: a lower-temperature policy, KL(pi || sft) > 0.
            LlamaModel m = sharper.model();
            m.replaceParameter(LlamaModel.FINAL_NORM, m.parameter(LlamaModel.FINAL_NORM).mul(2f));
            PolicyHealth base = HealthProbe.measure(sft, sft, null, 128, PROMPTS, 4, 24, 7).health();
            PolicyHealth h = HealthProbe.measure(sharper, sft, null, 128, PROMPTS, 4, 24, 7).health();
            assertThat(h.klToSft()).isGreaterThan(0.05);
            assertThat(h.klToSftSeq()).isCloseTo(h.klToSft() * h.length(), within(1e-6));
            assertThat(h.sftLogprob()).as("a sharper policy samples the SFT policy's likelier tokens")
                    .isGreaterThan(base.sftLogprob());
        }
    }

    @Test
    void theRewardModelsMeanScoreIsReportedWhenOneIsGiven() throws Exception {
        try (LoadedModel sft = stories(); LoadedModel reward = stories()) {
            reward.model().addValueHead();
            HealthProbe.Result r = HealthProbe.measure(sft, sft, reward, 64, PROMPTS, 2, 16, 3);
            assertThat(r.health().score()).isNotNull().isCloseTo(HealthProbe.meanScore(reward, 64, r.samples()), within(1e-12));
        }
    }
}
