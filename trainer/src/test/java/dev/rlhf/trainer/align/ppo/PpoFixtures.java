package dev.rlhf.trainer.align.ppo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;

/** stories260K as PPO's SFT policy, story openings as prompts, and reward sources for the tests. */
final class PpoFixtures {

    /** Story openings, the prompts of every PPO test. */
    static final List<String> PROMPTS = List.of(
            "Once upon a time, there was a",
            "One day, a little girl named Lily",
            "Tom and his mom went to the",
            "There was a big",
            "The sun was shining and",
            "Sam had a new",
            "In a small house, there lived a",
            "A little bird");

    private PpoFixtures() {}

    static LoadedModel stories() throws Exception {
        return ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }

    /**
     * A reward model for the invariant and resume tests: stories260K's trunk with a seeded random
     * value head (untrained, but a real model scored at the last token).
     */
    static LoadedModel randomHeadRewardModel(long seed) throws Exception {
        LoadedModel rm = stories();
        LlamaModel m = rm.model();
        m.addValueHead();
        Random random = new Random(seed);
        float[] w = new float[m.config().dim()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.5);
        }
        NDArray head = m.manager().create(w, m.parameter(LlamaModel.VALUE_HEAD_WEIGHT).getShape());
        m.replaceParameter(LlamaModel.VALUE_HEAD_WEIGHT, head);
        return rm;
    }

    /**
     * The four models with a model reward source: actor and reference from stories260K, critic and
     * reward model from {@link #randomHeadRewardModel}. Closing the result frees all four.
     */
    static PpoModels fourModels(long rewardSeed) throws Exception {
        LoadedModel actor = stories();
        LoadedModel reference = stories();
        LoadedModel critic = randomHeadRewardModel(rewardSeed);
        LoadedModel reward = randomHeadRewardModel(rewardSeed);
        return new PpoModels(actor.model(), reference.model(), critic.model(),
                new ValueHeadRewardSource(reward.model(), reward.tokenizer(), 16), actor.tokenizer(),
                List.of(actor, reference, critic, reward));
    }

    /**
     * The three models of a critic-free run (RLOO, GRPO): actor and reference from stories260K and
     * the reward model from {@link #randomHeadRewardModel}; no critic. Closing the result frees all three.
     */
    static PpoModels threeModels(long rewardSeed) throws Exception {
        LoadedModel actor = stories();
        LoadedModel reference = stories();
        LoadedModel reward = randomHeadRewardModel(rewardSeed);
        return new PpoModels(actor.model(), reference.model(), null,
                new ValueHeadRewardSource(reward.model(), reward.tokenizer(), 16), actor.tokenizer(),
                List.of(actor, reference, reward));
    }

    /**
     * A simulated labeler's preference: 1 for a completion that mentions {@code word} (as a whole
     * word, any case), else 0.
     */
    static RewardSource mentions(String word) {
        Pattern pattern = Pattern.compile("\\b" + Pattern.quote(word.toLowerCase(Locale.ROOT)) + "\\b");
        return (prompts, completions) -> {
            double[] scores = new double[completions.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = pattern.matcher(completions.get(i).toLowerCase(Locale.ROOT)).find() ? 1 : 0;
            }
            return scores;
        };
    }

    static List<String> repeat(List<String> items, int times) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            out.addAll(items);
        }
        return out;
    }
}
