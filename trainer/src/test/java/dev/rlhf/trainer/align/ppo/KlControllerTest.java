package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

class KlControllerTest {

    @Test
    void fixedControllerNeverChanges() {
        KlController fixed = new KlController.Fixed(0.02);
        assertThat(fixed.update(100, 256)).isEqualTo(fixed);
        assertThat(fixed.update(100, 256).value()).isEqualTo(0.02);
    }

    /**
     * coef 0.2, target 6, horizon 10000, 256 samples per step (TRL's defaults):
     * KL 9:   error clip(9/6 - 1 = 0.5) = 0.2    -> 0.2 * (1 + 0.2 * 256 / 10000) = 0.201024
     * KL 3:   error clip(3/6 - 1 = -0.5) = -0.2  -> 0.2 * (1 - 0.0512 / 10)       = 0.198976
     * KL 6.6: error 6.6/6 - 1 = 0.1 (unclipped)  -> 0.2 * (1 + 0.1 * 256 / 10000) = 0.200512
     * KL 6:   error 0                            -> 0.2
     */
    @Test
    void adaptiveControllerFollowsZieglerUpdateWithClippedError() {
        KlController c = new KlController.Adaptive(0.2, 6, 10000);
        assertThat(c.update(9, 256).value()).isCloseTo(0.201024, within(1e-12));
        assertThat(c.update(3, 256).value()).isCloseTo(0.198976, within(1e-12));
        assertThat(c.update(6.6, 256).value()).isCloseTo(0.200512, within(1e-12));
        assertThat(c.update(6, 256).value()).isEqualTo(0.2);
        assertThatThrownBy(() -> c.update(Double.NaN, 1)).hasMessageContaining("not finite");
        assertThatThrownBy(() -> new KlController.Adaptive(0.2, 0, 10000)).hasMessageContaining("kl-target");
    }

    /** The JSON of the record restores a controller whose next 50 updates are bit-identical. */
    @Test
    void stateRoundTripsThroughJsonForExactResume() {
        ObjectMapper json = JsonMapper.builder().build();
        KlController original = new KlController.Adaptive(0.05, 4, 1000);
        for (int i = 0; i < 17; i++) {
            original = original.update(2 + i * 0.37, 64);
        }
        String saved = json.writeValueAsString(original);
        KlController restored = json.readValue(saved, KlController.class);
        assertThat(saved).contains("\"type\":\"adaptive\"");
        assertThat(restored).isEqualTo(original);
        for (int i = 0; i < 50; i++) {
            original = original.update(5.5 - i * 0.1, 64);
            restored = restored.update(5.5 - i * 0.1, 64);
            assertThat(Double.doubleToRawLongBits(restored.value())).isEqualTo(Double.doubleToRawLongBits(original.value()));
        }
        KlController fixed = new KlController.Fixed(0.02);
        assertThat(json.readValue(json.writeValueAsString(fixed), KlController.class)).isEqualTo(fixed);
    }

    @Test
    void configChoosesTheController() {
        assertThat(KlController.of(PpoConfig.defaults())).isEqualTo(new KlController.Fixed(0.02));
        assertThat(KlController.of(PpoConfig.defaults().withKlTarget(6.0)))
                .isEqualTo(new KlController.Adaptive(0.02, 6, 10000));
    }
}
