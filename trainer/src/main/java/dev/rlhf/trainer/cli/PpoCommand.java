package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.align.ppo.Advantage;
import dev.rlhf.trainer.align.ppo.KlEstimator;
import dev.rlhf.trainer.align.ppo.PolicyLossNormalizer;
import dev.rlhf.trainer.align.ppo.PpoConfigBuilder;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfigBuilder;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.training.MetricsSink;
import dev.rlhf.trainer.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code trainer ppo}: PPO with a per-token KL penalty against the SFT policy, optionally mixed with
 * the language-model loss on ptx data (PPO-ptx), with GAE and a critic or the critic-free RLOO / GRPO
 * advantages ({@code --advantage}). Writes {@code <out>/model} (the policy), {@code <out>/critic} (GAE
 * only) and {@code <out>/resume}; metrics as JSONL (one line per optimizer step),
 * progress with ETA on stderr.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = RecordDefaults.BUNDLE,
        description = {"Optimise a policy against a reward model with PPO (KL penalty, optional PPO-ptx).",
            "--model is the SFT policy: it initialises the actor and the frozen reference."})
public class PpoCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--reward-model", required = true, paramLabel = "PATH",
            description = "Reward model checkpoint (with a value head): the frozen scorer, and the critic's initialisation (GAE).")
    Path rewardModel;

    @Option(names = "--advantage", paramLabel = "gae|rloo|grpo",
            description = {"Advantage estimator: gae (critic, per-token GAE), rloo (leave-one-out baseline over the --num-samples "
                    + "of a prompt) or grpo (group-normalised rewards); rloo and grpo load no critic and need --num-samples >= 2 "
                    + "(default ${bundle:default.PpoConfig.advantage})."})
    String advantage;

    @Option(names = "--scale-rewards", paramLabel = "true|false", arity = "1",
            description = "GRPO: divide each group's centred rewards by its std; false = Dr. GRPO's unbiased advantages "
                    + "(default ${bundle:default.PpoConfig.scaleRewards}).")
    Boolean scaleRewards;

    @Option(names = "--loss-normalizer", paramLabel = "tokens|dr-grpo",
            description = "Divide the summed policy loss by the minibatch's response tokens, or by rows x --max-new-tokens "
                    + "(Dr. GRPO) (default ${bundle:default.PpoConfig.lossNormalizer}).")
    String lossNormalizer;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "JSONL of {\"prompt\": ...} lines.")
    Path data;

    @Mixin
    RunOutputOptions output;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of sampling and data order (default ${bundle:default.PpoConfig.seed}).")
    Long seed;

    @Mixin
    DeviceOption device;

    @Mixin
    DtypeOptions dtypes;

    @Option(names = "--offload-frozen", description = "Keep the reference and reward models on the CPU (saves accelerator memory).")
    Boolean offloadFrozen;

    @Option(names = "--resume", description = "Continue from <out>/resume when it exists.")
    boolean resume;

    @Mixin
    PresetOption preset;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "Optimizer steps (each minibatch of each PPO epoch); 0 = --epochs passes over the prompts (default: from --preset).")
    Integer maxSteps;

    @Option(names = "--epochs", paramLabel = "N",
            description = "Passes over the prompts when --max-steps is 0 (default ${bundle:default.PpoRunConfig.epochs}).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Responses per rollout (default: from --preset).")
    Integer batchSize;

    @Option(names = "--num-mini-batches", paramLabel = "N", description = "Minibatches per PPO epoch (default: from --preset).")
    Integer numMiniBatches;

    @Option(names = "--ppo-epochs", paramLabel = "N", description = "Passes over each rollout (default: from --preset).")
    Integer ppoEpochs;

    @Option(names = "--lr", paramLabel = "X", description = "Actor learning rate (default: from --preset).")
    Double lr;

    @Option(names = "--critic-lr", paramLabel = "X", description = "Critic learning rate (default: from --preset).")
    Double criticLr;

    @Option(names = "--kl-coef", paramLabel = "X", description = "Initial KL penalty coefficient (default: from --preset).")
    Double klCoef;

    @Option(names = "--kl-target", paramLabel = "X", description = "Target KL per sequence: turns on the adaptive controller.")
    Double klTarget;

    @Option(names = "--kl-horizon", paramLabel = "N",
            description = "Adaptive controller horizon (default ${bundle:default.PpoConfig.klHorizon}).")
    Double klHorizon;

    @Option(names = "--kl-estimator", paramLabel = "k1|k3",
            description = "Per-token KL estimator (default ${bundle:default.PpoConfig.klEstimator}).")
    String klEstimator;

    @Option(names = "--ptx-coef", paramLabel = "X",
            description = "gamma_ptx: weight of the LM loss on --ptx-data (default ${bundle:default.PpoConfig.ptxCoef}).")
    Double ptxCoef;

    @Option(names = "--ptx-data", paramLabel = "PATH", description = "JSONL of {\"text\"} or {\"prompt\", \"completion\"} lines for PPO-ptx.")
    Path ptxData;

    @Option(names = "--ptx-batch-size", paramLabel = "N",
            description = "Sequences per ptx batch; 0 = the minibatch size (default ${bundle:default.PpoRunConfig.ptxBatchSize}).")
    Integer ptxBatchSize;

    @Option(names = "--gamma", paramLabel = "X", description = "Discount (default ${bundle:default.PpoConfig.gamma}).")
    Double gamma;

    @Option(names = "--lambda", paramLabel = "X", description = "GAE lambda (default ${bundle:default.PpoConfig.lambda}).")
    Double lambda;

    @Option(names = "--clip-range", paramLabel = "X", description = "Policy ratio clip (default ${bundle:default.PpoConfig.clipRange}).")
    Double clipRange;

    @Option(names = "--value-clip-range", paramLabel = "X", description = "Value clip (default ${bundle:default.PpoConfig.valueClipRange}).")
    Double valueClipRange;

    @Option(names = "--vf-coef", paramLabel = "X", description = "Value loss weight (default ${bundle:default.PpoConfig.vfCoef}).")
    Double vfCoef;

    @Option(names = "--reward-clip", paramLabel = "X",
            description = "Clip scores to [-X, X]; 0 = off (default ${bundle:default.PpoConfig.rewardClip}).")
    Double rewardClip;

    @Option(names = "--missing-eos-penalty", paramLabel = "X", description = "Subtracted from the score of responses without EOS.")
    Double missingEosPenalty;

    @Option(names = "--whiten-rewards", description = "Scale per-token rewards to unit variance before GAE.")
    Boolean whitenRewards;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Response length (default: from --preset).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Rollout temperature > 0; old, new and reference log-probabilities are all taken at it "
                    + "(default ${bundle:default.PpoRunConfig.temperature}).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Must be 0 (off) for PPO: refused otherwise, as it would make the update off-policy.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Must be 1 (off) for PPO: refused otherwise, as it would make the update off-policy.")
    Float topP;

    @Option(names = "--num-samples", paramLabel = "K", description = "Responses per prompt in a rollout (default: from --preset).")
    Integer numSamples;

    @Option(names = "--max-grad-norm", paramLabel = "X",
            description = "Gradient-norm clip per model (default ${bundle:default.PpoRunConfig.maxGradNorm}).")
    Float maxGradNorm;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "Resumable state every N rollouts and at the end (default ${bundle:default.PpoRunConfig.checkpointEvery}).")
    Integer checkpointEvery;

    @Mixin
    ConfigFileOption configFile;

    @Override
    public Integer call() throws IOException {
        PpoRunConfig run = runConfig();
        ChatTemplate template = modelOptions.chatTemplate();
        List<String> prompts = PromptFile.read(data, template);
        List<SftExample> ptx = null;
        if (ptxData != null) {
            if (!Files.isRegularFile(ptxData)) {
                throw new BadInputException("--ptx-data " + ptxData + ": file not found");
            }
            try {
                ptx = SftExample.readJsonl(ptxData, template);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--ptx-data " + e.getMessage());
            }
        } else if (run.ppo().ptxCoef() > 0) {
            throw new BadInputException("--ptx-coef " + run.ppo().ptxCoef() + " needs --ptx-data");
        }
        Device target = device.device();
        dtypes.precision(target);
        PpoModels models;
        try {
            models = PpoModels.load(modelOptions.model, modelOptions.model, modelOptions.tokenizer, rewardModel, target,
                    run.offloadFrozen(), run.ppo().miniBatchSize(), run.ppo().advantage().needsCritic());
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        try (models) {
            dtypes.applyTo(models.actor(), true);
            if (models.hasCritic()) {
                dtypes.applyTo(models.critic(), true);
            }
            dtypes.applyTo(models.reference(), false);
            if (models.reward() instanceof ValueHeadRewardSource scorer) {
                dtypes.applyTo(scorer.model(), false);
            }
            MetricsSink sink = output.metricsSink();
            PpoTrainer trainer = new PpoTrainer(models, run, sink);
            Progress progress = new Progress("ppo", trainer.totalSteps(prompts.size()), "step", System.err);
            int[] shown = {0};
            trainer.onStep((step, total, values) -> { // a resumed run starts past step 1
                progress.advance(step - shown[0], 1);
                shown[0] = step;
            });
            PpoTrainer.Result result;
            try {
                result = trainer.train(prompts, ptx, output.out, resume);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage(), e);
            }
            System.err.printf("ppo: %d steps over %d rollouts (%.0f rollout tokens/s, %.3f s per update); policy written to %s%n",
                    result.steps(), result.rollouts(), result.rolloutTokensPerSecond(), result.secondsPerUpdate(), result.model());
        }
        return 0;
    }

    /** The config of this invocation: the preset's values, with every option given explicitly overriding its own. */
    PpoRunConfig runConfig() {
        PpoRunConfig base = preset.preset().ppo();
        return Overlay.build(() -> {
            PpoConfigBuilder ppo = PpoConfigBuilder.builder(base.ppo());
            Overlay.set(klCoef, ppo::klCoef);
            Overlay.set(klTarget, ppo::klTarget);
            Overlay.set(klHorizon, ppo::klHorizon);
            Overlay.set(klEstimator, v -> ppo.klEstimator(KlEstimator.parse(v)));
            Overlay.set(gamma, ppo::gamma);
            Overlay.set(lambda, ppo::lambda);
            Overlay.set(clipRange, ppo::clipRange);
            Overlay.set(valueClipRange, ppo::valueClipRange);
            Overlay.set(vfCoef, ppo::vfCoef);
            Overlay.set(ppoEpochs, ppo::ppoEpochs);
            Overlay.set(numMiniBatches, ppo::numMiniBatches);
            Overlay.set(batchSize, ppo::rolloutBatchSize);
            Overlay.set(maxNewTokens, ppo::maxNewTokens);
            Overlay.set(whitenRewards, ppo::whitenRewards);
            Overlay.set(rewardClip, v -> ppo.rewardClip(v > 0 ? v : null)); // 0 = off
            Overlay.set(missingEosPenalty, ppo::missingEosPenalty);
            Overlay.set(ptxCoef, ppo::ptxCoef);
            Overlay.set(lr, ppo::actorLearningRate);
            Overlay.set(criticLr, ppo::criticLearningRate);
            Overlay.set(seed, ppo::seed);
            Overlay.set(advantage, v -> ppo.advantage(Advantage.parse(v)));
            Overlay.set(scaleRewards, ppo::scaleRewards);
            Overlay.set(lossNormalizer, v -> ppo.lossNormalizer(PolicyLossNormalizer.parse(v)));
            PpoRunConfigBuilder run = PpoRunConfigBuilder.builder(base).ppo(ppo.build());
            Overlay.set(maxSteps, run::maxSteps);
            Overlay.set(epochs, run::epochs);
            Overlay.set(numSamples, run::numSamples);
            Overlay.set(temperature, run::temperature);
            Overlay.set(topK, run::topK);
            Overlay.set(topP, run::topP);
            Overlay.set(maxGradNorm, run::maxGradNorm);
            Overlay.set(ptxBatchSize, run::ptxBatchSize);
            Overlay.set(checkpointEvery, run::checkpointEvery);
            Overlay.set(offloadFrozen, run::offloadFrozen);
            return run.build();
        });
    }
}
