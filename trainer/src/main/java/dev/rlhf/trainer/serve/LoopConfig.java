package dev.rlhf.trainer.serve;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.health.Guardrails;
import dev.rlhf.trainer.training.Checks;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * How {@code trainer serve} runs the loop: when a round starts, what it trains, and how the new
 * policy's samples go back to labelers. The algorithms' own hyperparameters are their config
 * records; the defaults here suit the small CPU models of the zero-install default (stories260K):
 * larger learning rates and fewer steps than the papers' settings for billion-parameter models.
 *
 * @param algorithm          PPO, DPO, KTO, or PPO's round with the critic-free RLOO or GRPO advantages (default DPO: the cheaper path, and on a few dozen rankings the more reliable one, since PPO
 *                           is only as good as a reward model fitted on that little data; see trainer/README.md, "The Kafka-driven loop")
 * @param trainEvery         new comparisons (ordered pairs across tie groups) that start a round (default 200: about 33 rankings of K = 4)
 * @param trainRewardModel   fit the reward model in every round; PPO always needs it, DPO can skip it (default true)
 * @param numSamples         responses sampled per prompt when a request does not say (default 4: K of InstructGPT's 4..9)
 * @param comparePrevious    after a round, sample half of each prompt's responses from the previous version, so labelers rank the two head to head (default true)
 * @param promptsPerRound    most prompts sampled after a round, the most recently ranked first (default 64)
 * @param generation         decoding of samples (default 48 new tokens at temperature 1.0, no top-k/top-p: unbiased samples of the policy)
 * @param reward             reward-model training (default lr 1e-3, batch 16, 40 steps, 128 tokens, 10% of prompts held out)
 * @param dpo                DPO (default beta 0.1, lr 2e-4, batch 16, 16 steps, 128 tokens)
 * @param kto                KTO on the rankings unpaired as the kto export does (default {@link KtoConfig#smallModels()}: beta 0.1,
 *                           lr 1e-4, batch 16, 64 steps, 128 tokens, balanced weights)
 * @param ppo                PPO (default 32 responses per rollout, 4 per prompt, 2 epochs x 2 minibatches, 24 steps, 32 tokens, lr 2e-4 / 1e-3,
 *                           KL coef 0.2, checkpoint every rollout: the setting that gained the most labeler score per nat of KL in
 *                           the reward-vs-KL experiment, docs/experiments)
 * @param reference          the reference of every round's KL term (DPO's implicit one, PPO's penalty): SFT, the model given
 *                           with --model (default), or the previous version (the loop's behaviour before guardrails: the KL to SFT
 *                           then grows without bound across rounds, which is how issue 11's demo collapsed into "a a a a")
 * @param guardrails         when a new version is healthy enough to be promoted to labelers ({@link Guardrails#defaults()})
 * @param idleSeconds        seconds without a new ranking after which the loop stops waiting for --train-every: it trains on
 *                           what it has, or, with nothing new, samples fresh responses of already ranked prompts so labelers
 *                           never run dry (default 20: about 20 rankings' time of one annotator at the demo's pace)
 * @param healthSamplesPerPrompt samples per probe prompt when measuring a version's health (default 8)
 * @param healthMaxPrompts   most probe prompts (default 32: with 8 samples each, 256 completions, a few seconds on stories260K)
 * @param seed               seed of every random choice of a round, offset by the round number (default 42)
 */
@RecordBuilder
public record LoopConfig(
        Algorithm algorithm,
        long trainEvery,
        boolean trainRewardModel,
        int numSamples,
        boolean comparePrevious,
        int promptsPerRound,
        GenerationConfig generation,
        RewardModelConfig reward,
        DpoConfig dpo,
        KtoConfig kto,
        PpoRunConfig ppo,
        Reference reference,
        Guardrails guardrails,
        int idleSeconds,
        int healthSamplesPerPrompt,
        int healthMaxPrompts,
        long seed) implements LoopConfigBuilder.With {

    /** DPO on the rankings' pairs, or a PPO round against the round's reward model with GAE (PPO), RLOO or GRPO advantages. */
    public enum Algorithm {
        PPO, DPO, KTO, RLOO, GRPO;

        public static Algorithm parse(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "ppo" -> PPO;
                case "dpo" -> DPO;
                case "kto" -> KTO;
                case "rloo" -> RLOO;
                case "grpo" -> GRPO;
                default -> throw new IllegalArgumentException("algorithm must be ppo, dpo, kto, rloo or grpo, got " + value);
            };
        }

        /** The advantage estimator of this algorithm's PPO round; null for DPO and KTO. */
        public dev.rlhf.trainer.align.ppo.Advantage advantage() {
            return switch (this) {
                case PPO -> dev.rlhf.trainer.align.ppo.Advantage.GAE;
                case RLOO -> dev.rlhf.trainer.align.ppo.Advantage.RLOO;
                case GRPO -> dev.rlhf.trainer.align.ppo.Advantage.GRPO;
                case DPO, KTO -> null;
            };
        }
    }

    /** What each round's KL term is measured against. */
    public enum Reference {
        SFT, PREVIOUS;

        public static Reference parse(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "sft" -> SFT;
                case "previous" -> PREVIOUS;
                default -> throw new IllegalArgumentException("reference must be sft or previous, got " + value);
            };
        }
    }

    public LoopConfig {
        Checks.check(algorithm != null, "algorithm must be ppo, dpo, kto, rloo or grpo");
        Checks.check(trainEvery >= 1, "train-every must be >= 1, got " + trainEvery);
        Checks.check(trainRewardModel || algorithm == Algorithm.DPO || algorithm == Algorithm.KTO, algorithm + " needs the reward model: drop --skip-reward-model or use --algorithm dpo or kto");
        Checks.check(numSamples >= 2, "num-samples must be >= 2 (a ranking needs two responses), got " + numSamples);
        Checks.check(promptsPerRound >= 1, "prompts-per-round must be >= 1, got " + promptsPerRound);
        Checks.check(reference != null, "reference must be sft or previous");
        Checks.check(guardrails != null, "guardrails must be given");
        Checks.check(idleSeconds >= 1, "idle-seconds must be >= 1, got " + idleSeconds);
        Checks.check(healthSamplesPerPrompt >= 1, "health-samples must be >= 1, got " + healthSamplesPerPrompt);
        Checks.check(healthMaxPrompts >= 1, "health-prompts must be >= 1, got " + healthMaxPrompts);
    }

    /** The loop's defaults: the algorithms' small-model values ({@code --preset small} of the commands), checkpointing PPO every rollout. */
    public static LoopConfig defaults() {
        return LoopConfigBuilder.builder()
                .algorithm(Algorithm.DPO).trainEvery(200).trainRewardModel(true).numSamples(4).comparePrevious(true).promptsPerRound(64)
                .generation(GenerationConfig.defaults().withMaxNewTokens(48).withTemperature(1.0f))
                .reward(RewardModelConfig.smallModels().withEvalFraction(0.1))
                .dpo(DpoConfig.smallModels()).kto(KtoConfig.smallModels()).ppo(PpoRunConfig.smallModels().withCheckpointEvery(1))
                .reference(Reference.SFT).guardrails(Guardrails.defaults())
                .idleSeconds(20).healthSamplesPerPrompt(8).healthMaxPrompts(32).seed(42)
                .build();
    }
}
