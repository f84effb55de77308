package dev.rlhf.trainer.align.ppo;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PPO's four models: the actor (trained, initialised from the SFT policy), a frozen reference copy
 * of the SFT policy, the critic (trained, initialised from the reward model: trunk and value head;
 * absent for the critic-free advantages RLOO and GRPO, which hold one model less) and the frozen
 * reward model, behind {@link RewardSource} (scoring the policy's own tokens, cut
 * to the length the reward model was trained at, {@code reward_max_length} in its checkpoint).
 *
 * @param actor     the policy being trained, on the training device
 * @param reference the frozen SFT policy (on the CPU when frozen models are offloaded)
 * @param critic    the value model being trained, on the training device; must have a value head; null for
 *                  the critic-free advantages (see {@link Advantage#needsCritic()})
 * @param reward    scores finished responses (frozen)
 * @param tokenizer the policy's tokenizer
 */
public record PpoModels(LlamaModel actor, LlamaModel reference, LlamaModel critic, RewardSource reward,
                        TextTokenizer tokenizer, List<AutoCloseable> owned) implements AutoCloseable {

    public PpoModels {
        if (critic != null && !critic.hasValueHead()) {
            throw new IllegalArgumentException("the critic needs a value head");
        }
        if (!actor.config().equals(reference.config())) {
            throw new IllegalArgumentException("actor " + actor.config() + " and reference " + reference.config() + " differ");
        }
        owned = List.copyOf(owned);
    }

    /**
     * Loads the four models: actor and reference from {@code policy}, critic and reward model from
     * {@code rewardModel} (a checkpoint with a value head, as the {@code reward} command writes).
     * With {@code offloadFrozen}, the reference and reward models stay on the CPU.
     */
    public static PpoModels load(Path policy, Path tokenizer, Path rewardModel, Device device, boolean offloadFrozen,
                                 int scoreBatchSize) throws IOException {
        return load(policy, policy, tokenizer, rewardModel, device, offloadFrozen, scoreBatchSize);
    }

    /**
     * As {@link #load(Path, Path, Path, Device, boolean, int)}, with the actor starting from
     * {@code policy} and the frozen reference from {@code referencePolicy}: a later round of the loop
     * continues from the latest policy while the KL penalty stays against the SFT model (InstructGPT).
     */
    public static PpoModels load(Path policy, Path referencePolicy, Path tokenizer, Path rewardModel, Device device,
                                 boolean offloadFrozen, int scoreBatchSize) throws IOException {
        return load(policy, referencePolicy, tokenizer, rewardModel, device, offloadFrozen, scoreBatchSize, true);
    }

    /**
     * As {@link #load(Path, Path, Path, Path, Device, boolean, int)}; without {@code withCritic} (the
     * critic-free advantages) no critic is loaded, so the run holds three models.
     */
    public static PpoModels load(Path policy, Path referencePolicy, Path tokenizer, Path rewardModel, Device device,
                                 boolean offloadFrozen, int scoreBatchSize, boolean withCritic) throws IOException {
        Device frozen = offloadFrozen ? Device.cpu() : device;
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            LoadedModel actor = ModelLoader.load(policy, tokenizer, device);
            owned.add(actor);
            LoadedModel reference = ModelLoader.load(referencePolicy, tokenizer, frozen);
            owned.add(reference);
            LoadedModel critic = null;
            if (withCritic) {
                critic = loadRewardModel(rewardModel, tokenizer, device);
                owned.add(critic);
            }
            LoadedModel reward = loadRewardModel(rewardModel, tokenizer, frozen);
            owned.add(reward);
            if (reward.model().config().vocabSize() != actor.model().config().vocabSize()) {
                throw new CheckpointException(rewardModel + ": vocabulary of " + reward.model().config().vocabSize()
                        + " tokens, the policy has " + actor.model().config().vocabSize());
            }
            actor.model().setTrainable(name -> true);
            if (critic != null) {
                critic.model().setTrainable(name -> true);
            }
            reference.model().setTrainable(name -> false);
            reward.model().setTrainable(name -> false);
            return new PpoModels(actor.model(), reference.model(), critic == null ? null : critic.model(),
                    new ValueHeadRewardSource(reward.model(), reward.tokenizer(),
                            ValueHeadRewardSource.trainedMaxLength(rewardModel, reward.model()), scoreBatchSize),
                    actor.tokenizer(), owned);
        } catch (IOException | RuntimeException e) {
            closeAll(owned);
            throw e;
        }
    }

    private static LoadedModel loadRewardModel(Path path, Path tokenizer, Device device) throws IOException {
        LoadedModel loaded = ModelLoader.load(path, tokenizer, device);
        if (!loaded.model().hasValueHead()) {
            loaded.close();
            throw new CheckpointException(path + ": not a reward model (no value head; train one with the reward command)");
        }
        return loaded;
    }

    /** Whether a critic is held (the GAE advantage), or none (RLOO, GRPO). */
    public boolean hasCritic() {
        return critic != null;
    }

    @Override
    public void close() {
        closeAll(owned);
    }

    private static void closeAll(List<AutoCloseable> owned) {
        for (AutoCloseable c : owned.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // closing native memory; nothing useful to do with a failure here
            }
        }
    }
}
