package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoLossType;
import dev.rlhf.trainer.align.ppo.KlEstimator;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Defaults as documented (with their sources) and validation messages that name the option. */
class ConfigRecordsTest {

    @Test
    void ppoDefaultsFollowInstructGptAndTrl() {
        PpoConfig c = PpoConfig.defaults();
        assertThat(c.klCoef()).isEqualTo(0.02);
        assertThat(c.klTarget()).isNull();
        assertThat(c.klHorizon()).isEqualTo(10000);
        assertThat(c.klEstimator()).isEqualTo(KlEstimator.K1);
        assertThat(c.gamma()).isEqualTo(1.0);
        assertThat(c.lambda()).isEqualTo(0.95);
        assertThat(c.clipRange()).isEqualTo(0.2);
        assertThat(c.valueClipRange()).isEqualTo(0.2);
        assertThat(c.vfCoef()).isEqualTo(0.1);
        assertThat(c.ppoEpochs()).isEqualTo(4);
        assertThat(c.numMiniBatches()).isEqualTo(1);
        assertThat(c.whitenAdvantages()).isTrue();
        assertThat(c.whitenRewards()).isFalse();
        assertThat(c.rewardClip()).isEqualTo(10.0);
        assertThat(c.missingEosPenalty()).isNull();
        assertThat(c.ptxCoef()).isZero();
        assertThat(PpoConfig.INSTRUCTGPT_PTX_COEF).isEqualTo(27.8);
        assertThat(c.with(b -> b.rolloutBatchSize(64).numMiniBatches(4).ppoEpochs(2)).miniBatchSize()).isEqualTo(16);
    }

    @Test
    void ppoValidationNamesTheOption() {
        PpoConfig c = PpoConfig.defaults();
        assertThatThrownBy(() -> c.withKlCoef(-1)).hasMessageContaining("kl-coef");
        assertThatThrownBy(() -> c.withKlTarget(0.0)).hasMessageContaining("kl-target");
        assertThatThrownBy(() -> c.withPtxCoef(-0.1)).hasMessageContaining("ptx-coef");
        assertThatThrownBy(() -> c.with(b -> b.rolloutBatchSize(10).numMiniBatches(3).ppoEpochs(4))).hasMessageContaining("num-mini-batches");
        assertThatThrownBy(() -> c.with(b -> b.rewardClip(0.0).missingEosPenalty(null))).hasMessageContaining("reward-clip");
        assertThatThrownBy(() -> c.with(b -> b.rewardClip(null).missingEosPenalty(-1.0))).hasMessageContaining("missing-eos-penalty");
    }

    @Test
    void rewardAndDpoDefaultsAndValidation() {
        RewardModelConfig rm = RewardModelConfig.defaults();
        assertThat(rm.margin()).isZero();
        assertThat(rm.learningRate()).isEqualTo(9e-6);
        assertThat(rm.epochs()).isEqualTo(1);
        assertThat(rm.normalizeToMean()).isTrue();
        assertThatThrownBy(() -> rm.withMargin(-1)).hasMessageContaining("margin");
        assertThatThrownBy(() -> rm.withBatchSize(0)).hasMessageContaining("batch-size");

        DpoConfig dpo = DpoConfig.defaults();
        assertThat(dpo.beta()).isEqualTo(0.1);
        assertThat(dpo.lossType()).isEqualTo(DpoLossType.SIGMOID);
        assertThat(dpo.labelSmoothing()).isZero();
        assertThat(dpo.precomputeReference()).isTrue();
    }

    /** The records serialise to and from JSON as they are (for checkpoints and, later, config files). */
    @Test
    void recordsRoundTripThroughJson() {
        ObjectMapper json = JsonMapper.builder().build();
        PpoConfig ppo = PpoConfig.defaults().withKlTarget(6.0).withKlEstimator(KlEstimator.K3);
        assertThat(json.readValue(json.writeValueAsString(ppo), PpoConfig.class)).isEqualTo(ppo);
        DpoConfig dpo = DpoConfig.defaults().withLossType(DpoLossType.IPO).withBeta(0.5);
        assertThat(json.readValue(json.writeValueAsString(dpo), DpoConfig.class)).isEqualTo(dpo);
        RewardModelConfig rm = RewardModelConfig.defaults().withMargin(0.5);
        assertThat(json.readValue(json.writeValueAsString(rm), RewardModelConfig.class)).isEqualTo(rm);
    }
}
