package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.serve.LoopConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code --preset paper|small}: paper (the default) gives the config records' defaults, small gives
 * their {@code smallModels()} values, an option given explicitly (or in {@code --config}) overrides
 * its preset value, and {@code --help} says what each preset sets.
 */
class PresetTest {

    static final String[] IO = {"--model", "m.bin", "--data", "d.jsonl", "--out", "o"};

    @TempDir
    Path temp;

    static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(ConfigFileArguments.expand(args));
        return command;
    }

    static String[] with(String command, String... args) {
        String[] all = new String[1 + IO.length + args.length];
        all[0] = command;
        System.arraycopy(IO, 0, all, 1, IO.length);
        System.arraycopy(args, 0, all, 1 + IO.length, args.length);
        return all;
    }

    static String[] tail(String[] args) {
        return java.util.Arrays.copyOfRange(args, 1, args.length);
    }

    @Test
    void rewardPresetsReachTheConfigAndFlagsOverrideThem() {
        assertThat(parse(new RewardCommand(), tail(with("reward"))).config()).isEqualTo(RewardModelConfig.defaults());
        assertThat(parse(new RewardCommand(), tail(with("reward", "--preset", "paper"))).config()).isEqualTo(RewardModelConfig.defaults());
        assertThat(parse(new RewardCommand(), tail(with("reward", "--preset", "small"))).config()).isEqualTo(RewardModelConfig.smallModels());
        assertThat(parse(new RewardCommand(), tail(with("reward", "--preset", "small", "--lr", "5e-4", "--max-steps", "7"))).config())
                .isEqualTo(RewardModelConfig.smallModels().withLearningRate(5e-4).withMaxSteps(7));
        assertThat(RewardModelConfig.smallModels().learningRate()).isEqualTo(1e-3);
        assertThat(RewardModelConfig.defaults().learningRate()).isEqualTo(9e-6);
    }

    @Test
    void dpoPresetsReachTheConfigAndFlagsOverrideThem() {
        assertThat(parse(new DpoCommand(), tail(with("dpo"))).config()).isEqualTo(DpoConfig.defaults());
        assertThat(parse(new DpoCommand(), tail(with("dpo", "--preset", "small"))).config()).isEqualTo(DpoConfig.smallModels());
        assertThat(parse(new DpoCommand(), tail(with("dpo", "--preset", "small", "--beta", "0.3"))).config())
                .isEqualTo(DpoConfig.smallModels().withBeta(0.3));
        assertThat(DpoConfig.smallModels().learningRate()).isEqualTo(2e-4);
    }

    @Test
    void ppoPresetsReachTheConfigAndFlagsOverrideThem() {
        String[] ppo = {"--model", "m.bin", "--reward-model", "rm", "--data", "d.jsonl", "--out", "o"};
        assertThat(parse(new PpoCommand(), ppo).runConfig()).isEqualTo(PpoRunConfig.defaults());
        PpoCommand small = parse(new PpoCommand(), PpoCommandTest.concat(ppo, "--preset", "small"));
        assertThat(small.runConfig()).isEqualTo(PpoRunConfig.smallModels());
        PpoRunConfig overridden = parse(new PpoCommand(), PpoCommandTest.concat(ppo, "--preset", "small", "--kl-coef", "0.05",
                "--lr", "1e-3", "--num-samples", "2")).runConfig();
        PpoRunConfig expected = PpoRunConfig.smallModels();
        expected = expected.withPpo(expected.ppo().withKlCoef(0.05).withActorLearningRate(1e-3)).withNumSamples(2);
        assertThat(overridden).isEqualTo(expected);
        assertThat(PpoRunConfig.smallModels().ppo().actorLearningRate()).isEqualTo(2e-4);
        assertThat(PpoRunConfig.defaults().ppo().actorLearningRate()).isEqualTo(1e-6);
    }

    @Test
    void sftPresetSetsTheLearningRate() {
        String[] sft = {"--model", "m.bin", "--data", "d.jsonl", "--out", "o"};
        assertThat(parse(new SftCommand(), sft).sftConfig().learningRate()).isEqualTo(2e-5f);
        assertThat(parse(new SftCommand(), PpoCommandTest.concat(sft, "--preset", "small")).sftConfig().learningRate()).isEqualTo(3e-3f);
        assertThat(parse(new SftCommand(), PpoCommandTest.concat(sft, "--preset", "small", "--lr", "1e-4")).sftConfig().learningRate())
                .isEqualTo(1e-4f);
    }

    @Test
    void aConfigFileCanChooseThePresetAndFlagsStillWin() throws Exception {
        Path config = temp.resolve("reward.json");
        Files.writeString(config, "{\"preset\": \"small\", \"batch-size\": 8}");
        RewardCommand command = new RewardCommand();
        new CommandLine(command).setOverwrittenOptionsAllowed(true)
                .parseArgs(tail(ConfigFileArguments.expand(with("reward", "--config", config.toString(), "--batch-size", "4"))));
        assertThat(command.config()).isEqualTo(RewardModelConfig.smallModels().withBatchSize(4));
    }

    @Test
    void theSmallPresetIsWhatTheLoopUsesOnStories260K() {
        LoopConfig loop = LoopConfig.defaults();
        assertThat(loop.reward()).isEqualTo(RewardModelConfig.smallModels());
        assertThat(loop.dpo()).isEqualTo(DpoConfig.smallModels());
        assertThat(loop.ppo().ppo()).isEqualTo(PpoRunConfig.smallModels().ppo());
        assertThat(loop.ppo().maxSteps()).isEqualTo(PpoRunConfig.smallModels().maxSteps());
        assertThat(loop.ppo().numSamples()).isEqualTo(PpoRunConfig.smallModels().numSamples());
    }

    @Test
    void helpSaysWhichPresetIsTheDefaultAndWhatEachSets() {
        CapturedRun reward = CapturedRun.of("reward", "--help");
        assertThat(reward.code()).isZero();
        assertThat(reward.out()).contains("--preset").contains("paper is the default")
                .contains("paper: ").contains("--lr 9e-6").contains("small: ").contains("--lr 0.001").contains("--max-steps 40");
        assertThat(CapturedRun.of("dpo", "--help").out()).contains("--lr 1e-6").contains("--lr 2e-4").contains("--max-steps 16");
        assertThat(CapturedRun.of("ppo", "--help").out()).contains("--lr 1e-6").contains("--critic-lr 9e-6").contains("--kl-coef 0.02")
                .contains("--lr 2e-4").contains("--critic-lr 0.001").contains("--kl-coef 0.2").contains("--max-steps 24");
        assertThat(CapturedRun.of("sft", "--help").out()).contains("--lr 2e-5").contains("--lr 0.003");
        CapturedRun bad = CapturedRun.of(with("reward", "--preset", "tiny"));
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).doesNotContain("\n").contains("--preset tiny");
    }
}
