package dev.rlhf.trainer.align;

import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test (surefire runs *Test): the sweep that chose {@link KtoConfig#smallModels()} on {@link KtoLearningTest}'s thumbs.
 * {@code -Dsweep=w:beta:lr:steps[:batch],...} with w a desirable weight or "b" for n_U / n_D; prints the mention rate of
 * fresh samples and the KL to SFT of each. Run: {@code ./mvnw -B -o -pl trainer -am test -Dtest=KtoSweepProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class KtoSweepProbe {
    @TempDir
    Path temp;

    @BeforeAll
    static void sample() throws Exception {
        PreferenceLearningTest.sampleAndLabel();
    }

    @Test
    void sweep() throws Exception {
        List<KtoExample> examples = KtoLearningTest.thumbs();
        long d = examples.stream().filter(KtoExample::desirable).count();
        double balance = (examples.size() - d) / (double) d;
        KtoConfig base = KtoConfig.smallModels().withBalanceWeights(false); // the weight is set per run
        String[] specs = System.getProperty("sweep", "b:0.1:1e-4:64,1:0.1:2e-4:32,b:0.1:2e-4:32,b:0.1:1.5e-4:48").split(",");
        int i = 0;
        for (String spec : specs) {
            String[] f = spec.split(":");
            double w = f[0].equals("b") ? balance : Double.parseDouble(f[0]);
            KtoConfig c = base.withDesirableWeight(w).withBeta(Double.parseDouble(f[1])).withLearningRate(Double.parseDouble(f[2]))
                    .withMaxSteps(Integer.parseInt(f[3]));
            if (f.length > 4) {
                c = c.withBatchSize(Integer.parseInt(f[4]));
            }
            try (LoadedModel policy = PreferenceLearningTest.stories(); LoadedModel reference = PreferenceLearningTest.stories()) {
                KtoTrainer.Result r = new KtoTrainer(policy, c, (phase, step, values) -> {}).train(examples, temp.resolve("k" + i++));
                List<GeneratedSample> fresh = PreferenceLearningTest.samples(policy, 11L);
                System.out.printf("SWEEP %s (wD %.2f): mention %.3f KL %.3f last %s%n", spec, w, PreferenceLearningTest.mentionRate(fresh),
                        PreferenceLearningTest.sampledKl(fresh, reference), r.lastMetrics());
            }
        }
    }
}
