package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.align.ppo.KlEstimator;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.checkpoint.CheckpointException;
import dev.rlhf.trainer.model.Devices;
import dev.rlhf.trainer.sft.SftExample;
import dev.rlhf.trainer.training.AdamW;
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
 * the language-model loss on ptx data (PPO-ptx). Writes {@code <out>/model} (the policy),
 * {@code <out>/critic} and {@code <out>/resume}; metrics as JSONL (one line per optimizer step),
 * progress with ETA on stderr.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Optimise a policy against a reward model with PPO (KL penalty, optional PPO-ptx).")
public class PpoCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "The SFT policy: initialises the actor and the frozen reference.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer for models that do not carry one.")
    Path tokenizer;

    @Option(names = "--reward-model", required = true, paramLabel = "PATH",
            description = "Reward model checkpoint (with a value head): the frozen scorer, and the critic's initialisation.")
    Path rewardModel;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "JSONL of {\"prompt\": ...} lines.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--metrics", paramLabel = "PATH", description = "Metrics JSONL, one line per optimizer step.")
    Path metricsFile;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of sampling and data order (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto", description = "Training device (default ${DEFAULT-VALUE}).")
    String device;

    @Mixin
    DtypeOptions dtypes;

    @Option(names = "--offload-frozen", description = "Keep the reference and reward models on the CPU (saves accelerator memory).")
    boolean offloadFrozen;

    @Option(names = "--resume", description = "Continue from <out>/resume when it exists.")
    boolean resume;

    @Mixin
    PresetOption preset;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "Optimizer steps (each minibatch of each PPO epoch); 0 = --epochs passes over the prompts (default: from --preset).")
    Integer maxSteps;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "1", description = "Passes over the prompts when --max-steps is 0 (default ${DEFAULT-VALUE}).")
    int epochs;

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

    @Option(names = "--kl-horizon", paramLabel = "N", defaultValue = "10000", description = "Adaptive controller horizon (default ${DEFAULT-VALUE}).")
    double klHorizon;

    @Option(names = "--kl-estimator", paramLabel = "k1|k3", defaultValue = "k1", description = "Per-token KL estimator (default ${DEFAULT-VALUE}).")
    String klEstimator;

    @Option(names = "--ptx-coef", paramLabel = "X", defaultValue = "0", description = "gamma_ptx: weight of the LM loss on --ptx-data (default ${DEFAULT-VALUE}).")
    double ptxCoef;

    @Option(names = "--ptx-data", paramLabel = "PATH", description = "JSONL of {\"text\"} or {\"prompt\", \"completion\"} lines for PPO-ptx.")
    Path ptxData;

    @Option(names = "--ptx-batch-size", paramLabel = "N", defaultValue = "0", description = "Sequences per ptx batch; 0 = the minibatch size.")
    int ptxBatchSize;

    @Option(names = "--gamma", paramLabel = "X", defaultValue = "1.0", description = "Discount (default ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--lambda", paramLabel = "X", defaultValue = "0.95", description = "GAE lambda (default ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--clip-range", paramLabel = "X", defaultValue = "0.2", description = "Policy ratio clip (default ${DEFAULT-VALUE}).")
    double clipRange;

    @Option(names = "--value-clip-range", paramLabel = "X", defaultValue = "0.2", description = "Value clip (default ${DEFAULT-VALUE}).")
    double valueClipRange;

    @Option(names = "--vf-coef", paramLabel = "X", defaultValue = "0.1", description = "Value loss weight (default ${DEFAULT-VALUE}).")
    double vfCoef;

    @Option(names = "--reward-clip", paramLabel = "X", defaultValue = "10", description = "Clip scores to [-X, X]; 0 = off (default ${DEFAULT-VALUE}).")
    double rewardClip;

    @Option(names = "--missing-eos-penalty", paramLabel = "X", description = "Subtracted from the score of responses without EOS.")
    Double missingEosPenalty;

    @Option(names = "--whiten-rewards", description = "Scale per-token rewards to unit variance before GAE.")
    boolean whitenRewards;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Response length (default: from --preset).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0",
            description = "Rollout temperature > 0; old, new and reference log-probabilities are all taken at it (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Must be 0 (off) for PPO: refused otherwise, as it would make the update off-policy.")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Must be 1 (off) for PPO: refused otherwise, as it would make the update off-policy.")
    float topP;

    @Option(names = "--num-samples", paramLabel = "K", description = "Responses per prompt in a rollout (default: from --preset).")
    Integer numSamples;

    @Option(names = "--max-grad-norm", paramLabel = "X", defaultValue = "1.0", description = "Gradient-norm clip per model (default ${DEFAULT-VALUE}).")
    float maxGradNorm;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "10", description = "Resumable state every N rollouts and at the end (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--config", paramLabel = "FILE", description = "JSON or properties file of these options; flags override it.")
    Path config;

    @Override
    public Integer call() throws IOException {
        PpoRunConfig run = runConfig();
        ChatTemplate template = CliModels.chatTemplate(model, tokenizer);
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
        } else if (ptxCoef > 0) {
            throw new BadInputException("--ptx-coef " + ptxCoef + " needs --ptx-data");
        }
        Device target;
        try {
            target = Devices.select(device);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--device " + e.getMessage());
        }
        dtypes.precision(target);
        PpoModels models;
        try {
            models = PpoModels.load(model, tokenizer, rewardModel, target, run.offloadFrozen(), run.ppo().miniBatchSize());
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        try (models) {
            dtypes.applyTo(models.actor(), true);
            dtypes.applyTo(models.critic(), true);
            dtypes.applyTo(models.reference(), false);
            if (models.reward() instanceof ValueHeadRewardSource scorer) {
                dtypes.applyTo(scorer.model(), false);
            }
            MetricsSink sink = metricsFile == null ? MetricsSink.none() : MetricsSink.jsonl(metricsFile);
            PpoTrainer trainer = new PpoTrainer(models, run, sink);
            Progress progress = new Progress("ppo", trainer.totalSteps(prompts.size()), "step", System.err);
            int[] shown = {0};
            trainer.onStep((step, total, values) -> { // a resumed run starts past step 1
                progress.advance(step - shown[0], 1);
                shown[0] = step;
            });
            PpoTrainer.Result result;
            try {
                result = trainer.train(prompts, ptx, out, resume);
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
        PpoConfig d = base.ppo();
        try {
            PpoConfig ppo = new PpoConfig(or(klCoef, d.klCoef()), klTarget, klHorizon, KlEstimator.parse(klEstimator), gamma, lambda,
                    clipRange, valueClipRange, vfCoef, or(ppoEpochs, d.ppoEpochs()), or(numMiniBatches, d.numMiniBatches()),
                    or(batchSize, d.rolloutBatchSize()), or(maxNewTokens, d.maxNewTokens()), true,
                    whitenRewards, rewardClip > 0 ? rewardClip : null, missingEosPenalty, ptxCoef,
                    or(lr, d.actorLearningRate()), or(criticLr, d.criticLearningRate()), seed);
            return new PpoRunConfig(ppo, or(maxSteps, base.maxSteps()), epochs, or(numSamples, base.numSamples()), temperature,
                    topK, topP, maxGradNorm, new AdamW.Settings(0.9f, 0.95f, 1e-8f, 0f), ptxBatchSize, 256, checkpointEvery,
                    offloadFrozen);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--" + e.getMessage());
        }
    }

    private static <T> T or(T flag, T preset) {
        return flag != null ? flag : preset;
    }
}
