package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every optimizer step of the reward, DPO and KTO trainers frees what it created: the model's manager does not grow over steps. */
class TrainerScopingTest {

    static final List<RankedResponses> DATA = List.of(
            new RankedResponses("Once upon a time,", List.of(" a dog ran to the park.", " a cat slept.", " it rained."), Ranking.of(0, 2, 1)),
            new RankedResponses("Lily saw", List.of(" a big tree.", " her mom in the park."), Ranking.of(1, 0)),
            RankedResponses.pair("Tom had", " a red ball in the park.", " a nap."));

    @TempDir
    Path temp;

    @Test
    void rewardTrainerStepsDoNotGrowTheModelsManager() throws Exception {
        try (LoadedModel loaded = stories()) {
            List<Integer> arrays = new ArrayList<>();
            new RewardTrainer(loaded, RewardModelConfig.defaults().withBatchSize(2).withMaxSteps(6).withEvalFraction(0),
                    MetricsSink.none())
                    .onStep((step, total, pairs) -> arrays.add(loaded.model().manager().getManagedArrays().size()))
                    .train(DATA, null, temp);
            assertThat(arrays).hasSize(6);
            assertThat(arrays.subList(1, 6)).containsOnly(arrays.get(1));
        }
    }

    @Test
    void dpoTrainerStepsDoNotGrowTheModelsManager() throws Exception {
        List<RankedResponses.PreferencePair> pairs = new ArrayList<>();
        DATA.forEach(r -> pairs.addAll(r.pairs()));
        try (LoadedModel loaded = stories()) {
            List<Integer> arrays = new ArrayList<>();
            new DpoTrainer(loaded, DpoConfig.defaults().withBatchSize(2).withMaxSteps(6), MetricsSink.none())
                    .onStep((step, total, n) -> arrays.add(loaded.model().manager().getManagedArrays().size()))
                    .train(pairs, temp);
            assertThat(arrays).hasSize(6);
            assertThat(arrays.subList(1, 6)).containsOnly(arrays.get(1));
        }
    }

    @Test
    void ktoTrainerStepsDoNotGrowTheModelsManager() throws Exception {
        List<KtoExample> examples = KtoExample.unpaired(DATA);
        try (LoadedModel loaded = stories()) {
            List<Integer> arrays = new ArrayList<>();
            new KtoTrainer(loaded, KtoConfig.defaults().withBatchSize(2).withMaxSteps(6), MetricsSink.none())
                    .onStep((step, total, n) -> arrays.add(loaded.model().manager().getManagedArrays().size()))
                    .train(examples, temp);
            assertThat(arrays).hasSize(6);
            assertThat(arrays.subList(1, 6)).containsOnly(arrays.get(1));
        }
    }

    static LoadedModel stories() throws Exception {
        return ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }
}
