package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.sft.SftConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --preset paper|small}: where the unset hyperparameters of {@code reward}, {@code dpo}, {@code kto},
 * {@code ppo} and {@code sft} come from. {@code paper} (the default) takes the config records'
 * defaults, the papers' values for billion-parameter models; {@code small} takes values that learn
 * on stories260K-sized models in the documented step counts (each config record's
 * {@code smallModels()}). A flag given explicitly (or in {@code --config}) overrides its preset value.
 */
public enum Preset {
    PAPER("the papers' values for billion-parameter models (config records)"),
    SMALL("values that learn on stories260K-sized models (see trainer/README.md)");

    /** SFT learning rate of the small preset: what SftTrainerTest and SftCommandTest fine-tune stories260K at. */
    static final float SMALL_SFT_LEARNING_RATE = 3e-3f;

    private final String source;

    Preset(String source) {
        this.source = source;
    }

    static Preset parse(String value) {
        if (value == null) {
            return PAPER;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "paper" -> PAPER;
            case "small" -> SMALL;
            default -> throw new BadInputException("--preset " + value + ": must be paper or small");
        };
    }

    RewardModelConfig reward() {
        return this == SMALL ? RewardModelConfig.smallModels() : RewardModelConfig.defaults();
    }

    DpoConfig dpo() {
        return this == SMALL ? DpoConfig.smallModels() : DpoConfig.defaults();
    }

    KtoConfig kto() {
        return this == SMALL ? KtoConfig.smallModels() : KtoConfig.defaults();
    }

    PpoRunConfig ppo() {
        return this == SMALL ? PpoRunConfig.smallModels() : PpoRunConfig.defaults();
    }

    float sftLearningRate() {
        return this == SMALL ? SMALL_SFT_LEARNING_RATE : SftConfig.defaults().learningRate();
    }

    /** The values this preset sets for {@code command}, by option name. */
    Map<String, String> values(String command) {
        Map<String, String> v = new LinkedHashMap<>();
        switch (command) {
            case "reward" -> {
                RewardModelConfig c = reward();
                putTrainingOptions(v, c.learningRate(), c.batchSize(), c.epochs(), c.maxSteps(), c.maxLength(), c.warmupRatio());
            }
            case "dpo" -> {
                DpoConfig c = dpo();
                v.put("beta", number(c.beta()));
                putTrainingOptions(v, c.learningRate(), c.batchSize(), c.epochs(), c.maxSteps(), c.maxLength(), c.warmupRatio());
            }
            case "kto" -> {
                KtoConfig c = kto();
                v.put("balance-weights", Boolean.toString(c.balanceWeights()));
                putTrainingOptions(v, c.learningRate(), c.batchSize(), c.epochs(), c.maxSteps(), c.maxLength(), c.warmupRatio());
            }
            case "ppo" -> {
                PpoRunConfig run = ppo();
                PpoConfig c = run.ppo();
                v.put("lr", number(c.actorLearningRate()));
                v.put("critic-lr", number(c.criticLearningRate()));
                v.put("kl-coef", number(c.klCoef()));
                v.put("batch-size", Integer.toString(c.rolloutBatchSize()));
                v.put("num-mini-batches", Integer.toString(c.numMiniBatches()));
                v.put("ppo-epochs", Integer.toString(c.ppoEpochs()));
                v.put("num-samples", Integer.toString(run.numSamples()));
                v.put("max-new-tokens", Integer.toString(c.maxNewTokens()));
                v.put("max-steps", Integer.toString(run.maxSteps()));
            }
            case "sft" -> v.put("lr", number(Double.parseDouble(Float.toString(sftLearningRate())))); // 3e-3f, not 0.00300000002
            default -> throw new IllegalArgumentException("no preset for " + command);
        }
        return v;
    }

    /** The {@link TrainingOptions} hyperparameters that reward and dpo share, by option name. */
    private static void putTrainingOptions(Map<String, String> v, double lr, int batchSize, int epochs, int maxSteps, int maxLength,
            double warmupRatio) {
        v.put("lr", number(lr));
        v.put("batch-size", Integer.toString(batchSize));
        v.put("epochs", Integer.toString(epochs));
        v.put("max-steps", Integer.toString(maxSteps));
        v.put("max-length", Integer.toString(maxLength));
        v.put("warmup-ratio", number(warmupRatio));
    }

    /** The help footer of {@code command}: what each preset sets, and which applies by default. */
    static String help(String command) {
        StringBuilder out = new StringBuilder("\nPresets (--preset; paper is the default; an option given explicitly,\n"
                + "or in --config, overrides its preset value):\n");
        for (Preset p : values()) {
            out.append("  ").append(p.name().toLowerCase(Locale.ROOT)).append(": ").append(p.source).append('\n');
            StringBuilder line = new StringBuilder("    ");
            for (Map.Entry<String, String> e : p.values(command).entrySet()) {
                String item = "--" + e.getKey() + " " + e.getValue();
                if (line.length() > 4 && line.length() + item.length() + 1 > 76) {
                    out.append(line).append('\n');
                    line = new StringBuilder("    ");
                }
                line.append(line.length() > 4 ? " " : "").append(item);
            }
            out.append(line).append('\n');
        }
        return out.toString().replace("%", "%%"); // picocli formats help text
    }

    /** 9e-6, 0.001, 0.2: short and exact. */
    static String number(double v) {
        String s = Double.toString(v);
        if (s.contains("E")) {
            s = s.replace(".0E", "E").replace("E", "e");
        } else if (s.endsWith(".0")) {
            s = s.substring(0, s.length() - 2);
        }
        return s;
    }
}
