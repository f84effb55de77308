package dev.rlhf.trainer.sft;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import java.nio.file.Path;
import java.util.List;

/**
 * A training process for the resume test: fine-tunes stories260K on the first 60 OASST
 * demonstrations, printing {@code loss <step> <value>} per step, and when asked dies abruptly at a
 * step ({@link Runtime#halt}: no finally blocks, no shutdown hooks), as a killed process would.
 *
 * <p>Arguments: out directory, resume (true/false), step to die at (0: never).
 */
public final class SftResumeProbe {

    static final SftConfig CONFIG = SftTrainerTest.small().with(b -> b.batchSize(4).gradientAccumulation(2).epochs(1).maxSteps(8)
            .checkpointEvery(3).evalEvery(4).evalFraction(0.2f).earlyStoppingPatience(0));

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        boolean resume = Boolean.parseBoolean(args[1]);
        int dieAt = Integer.parseInt(args[2]);
        List<SftExample> data = SftTrainerTest.readOasstDemonstrations().subList(0, 60);
        try (LoadedModel loaded = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            new SftTrainer(loaded, CONFIG, (phase, step, values) -> {
                if (step == dieAt) {
                    System.out.flush();
                    Runtime.getRuntime().halt(137);
                }
                if (values.containsKey("loss")) {
                    System.out.println("loss " + step + " " + values.get("loss"));
                }
            }).train(data, null, out, resume);
        }
    }
}
