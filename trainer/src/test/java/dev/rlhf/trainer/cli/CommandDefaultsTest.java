package dev.rlhf.trainer.cli;

import static dev.rlhf.trainer.cli.PresetTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.serve.LoopConfig;
import dev.rlhf.trainer.sft.SftConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The config records are the one source of each default: a command given no hyperparameter runs with
 * the record's {@code defaults()}, a hyperparameter given changes only its own field, and {@code --help}
 * shows the record's values.
 */
class CommandDefaultsTest {

    static final String[] TRAIN = {"--model", "m.bin", "--data", "d.jsonl", "--out", "o"};
    static final String[] PPO = {"--model", "m.bin", "--reward-model", "rm", "--data", "d.jsonl", "--out", "o"};
    static final String[] MODEL = {"--model", "m.bin"};

    @Test
    void withNoOptionsEachCommandRunsTheRecordDefaults() {
        assertThat(parse(new PpoCommand(), PPO).runConfig()).isEqualTo(PpoRunConfig.defaults());
        assertThat(parse(new SftCommand(), TRAIN).sftConfig()).isEqualTo(SftConfig.defaults());
        assertThat(parse(new RewardCommand(), TRAIN).config()).isEqualTo(RewardModelConfig.defaults());
        assertThat(parse(new DpoCommand(), TRAIN).config()).isEqualTo(DpoConfig.defaults());
        assertThat(parse(new KtoCommand(), TRAIN).config()).isEqualTo(KtoConfig.defaults());
        assertThat(parse(new ServeCommand(), MODEL).loopConfig()).isEqualTo(LoopConfig.defaults());
        assertThat(parse(new GenerateCommand(), MODEL).generationConfig()).isEqualTo(GenerationConfig.defaults());
    }

    @Test
    void anOptionGivenOverridesOnlyItsOwnField() {
        PpoRunConfig ppo = PpoRunConfig.defaults();
        assertThat(parse(new PpoCommand(), PpoCommandTest.concat(PPO, "--gamma", "0.9")).runConfig())
                .isEqualTo(ppo.withPpo(ppo.ppo().withGamma(0.9)));
        assertThat(parse(new PpoCommand(), PpoCommandTest.concat(PPO, "--checkpoint-every", "3")).runConfig())
                .isEqualTo(ppo.withCheckpointEvery(3));
        assertThat(parse(new PpoCommand(), PpoCommandTest.concat(PPO, "--reward-clip", "0")).runConfig())
                .isEqualTo(ppo.withPpo(ppo.ppo().withRewardClip(null)));
        assertThat(parse(new PpoCommand(), PpoCommandTest.concat(PPO, "--advantage", "grpo", "--num-samples", "4",
                "--scale-rewards", "false", "--loss-normalizer", "dr-grpo")).runConfig())
                .isEqualTo(ppo.withNumSamples(4).withPpo(ppo.ppo().withAdvantage(dev.rlhf.trainer.align.ppo.Advantage.GRPO)
                        .withScaleRewards(false).withLossNormalizer(dev.rlhf.trainer.align.ppo.PolicyLossNormalizer.DR_GRPO)));
        assertThat(parse(new ServeCommand(), PpoCommandTest.concat(MODEL, "--algorithm", "rloo")).loopConfig())
                .isEqualTo(LoopConfig.defaults().withAlgorithm(LoopConfig.Algorithm.RLOO));
        assertThat(parse(new SftCommand(), PpoCommandTest.concat(TRAIN, "--eval-every", "7")).sftConfig())
                .isEqualTo(SftConfig.defaults().withEvalEvery(7));
        assertThat(parse(new SftCommand(), PpoCommandTest.concat(TRAIN, "--lora-rank", "4")).sftConfig().lora())
                .isEqualTo(new dev.rlhf.trainer.training.Lora.Settings(4, SftConfig.defaults().lora().alpha(),
                        SftConfig.defaults().lora().targets()));
        assertThat(parse(new RewardCommand(), PpoCommandTest.concat(TRAIN, "--margin", "0.5")).config())
                .isEqualTo(RewardModelConfig.defaults().withMargin(0.5));
        assertThat(parse(new RewardCommand(), PpoCommandTest.concat(TRAIN, "--margin", "from-data")).config())
                .isEqualTo(RewardModelConfig.defaults().withMarginFromData(true));
        assertThat(parse(new DpoCommand(), PpoCommandTest.concat(TRAIN, "--label-smoothing", "0.1")).config())
                .isEqualTo(DpoConfig.defaults().withLabelSmoothing(0.1));
        assertThat(parse(new KtoCommand(), PpoCommandTest.concat(TRAIN, "--undesirable-weight", "2")).config())
                .isEqualTo(KtoConfig.defaults().withUndesirableWeight(2));
        assertThat(parse(new KtoCommand(), PpoCommandTest.concat(TRAIN, "--balance-weights")).config())
                .isEqualTo(KtoConfig.defaults().withBalanceWeights(true));
        assertThat(parse(new KtoCommand(), PpoCommandTest.concat(TRAIN, "--preset", "small", "--lr", "3e-4")).config())
                .isEqualTo(KtoConfig.smallModels().withLearningRate(3e-4));
        LoopConfig loop = LoopConfig.defaults();
        assertThat(parse(new ServeCommand(), PpoCommandTest.concat(MODEL, "--kl-budget", "0.5")).loopConfig())
                .isEqualTo(loop.withGuardrails(loop.guardrails().withKlBudget(0.5)));
        assertThat(parse(new ServeCommand(), PpoCommandTest.concat(MODEL, "--algorithm", "kto")).loopConfig())
                .isEqualTo(loop.withAlgorithm(LoopConfig.Algorithm.KTO));
        assertThat(parse(new ServeCommand(), PpoCommandTest.concat(MODEL, "--policy-steps", "5")).loopConfig().kto())
                .isEqualTo(loop.kto().withMaxSteps(5));
        assertThat(parse(new ServeCommand(), PpoCommandTest.concat(MODEL, "--max-new-tokens", "20")).loopConfig())
                .isEqualTo(loop.withGeneration(loop.generation().withMaxNewTokens(20)));
        assertThat(parse(new GenerateCommand(), PpoCommandTest.concat(MODEL, "--top-k", "5")).generationConfig())
                .isEqualTo(GenerationConfig.defaults().withTopK(5));
    }

    @Test
    void helpShowsTheRecordsDefaults() {
        PpoConfig ppo = PpoConfig.defaults();
        assertThat(CapturedRun.of("ppo", "--help").out())
                .contains("GAE lambda (default " + RecordDefaults.text(ppo.lambda()) + ")")
                .contains("Per-token KL estimator (default " + RecordDefaults.text(ppo.klEstimator()) + ")");
        assertThat(CapturedRun.of("ppo", "--help").out().replaceAll("\\s+", " ")) // help wraps long descriptions
                .contains("load no critic and need --num-samples >= 2 (default " + RecordDefaults.text(ppo.advantage()) + ")");
        assertThat(CapturedRun.of("sft", "--help").out())
                .contains("(default " + RecordDefaults.text(SftConfig.defaults().lora().targets()) + ")");
        assertThat(CapturedRun.of("serve", "--help").out())
                .contains("(default " + RecordDefaults.text(LoopConfig.defaults().trainEvery()) + ")");
        assertThat(CapturedRun.of("kto", "--help").out())
                .contains("Weight of a desirable example's loss (default " + RecordDefaults.text(KtoConfig.defaults().desirableWeight()) + ")")
                .contains("--balance-weights true"); // the small preset's value, in the presets footer
        assertThat(RecordDefaults.text(2e-5f)).isEqualTo("2e-5");
        assertThat(RecordDefaults.text(List.of("q_proj", "v_proj"))).isEqualTo("q_proj,v_proj");
    }

    @Test
    void everyDefaultNamedInHelpExists() {
        for (String command : List.of("ppo", "sft", "reward", "dpo", "kto", "serve", "generate", "bench", "score", "convert", "render")) {
            CapturedRun help = CapturedRun.of(command, "--help");
            assertThat(help.code()).isZero();
            // picocli prints a ${bundle:...} key the bundle lacks as "null" (RecordDefaults prints a null default as "none")
            assertThat(help.out()).as(command).doesNotContain("null").doesNotContain("${").doesNotContain("bundle:");
        }
    }
}
