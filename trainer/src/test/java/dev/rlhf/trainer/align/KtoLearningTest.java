package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.align.data.KtoExample;
import dev.rlhf.trainer.align.data.RankedResponses;
import dev.rlhf.trainer.align.data.RankedResponses.PreferencePair;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.align.labeler.KeywordThumbs;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.generation.GeneratedSample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KTO from thumbs (issue 16, "Done when"): on {@link PreferenceLearningTest}'s keyword-labeler task (stories260K,
 * "park", K = 4 continuations of 240 training prompts), the labeler gives each continuation a thumb instead of
 * ranking them: up when it mentions the word, flipped with the same 10% noise ({@link KeywordThumbs}).
 * KTO ({@link KtoConfig#smallModels()}) on those unpaired labels must raise the labeler's score of fresh samples
 * (the share that mention the word) by at least as much as DPO does on the labeler's rankings of the same
 * continuations, trained in the same run with the same seeds ({@link DpoConfig#smallModels()}), at a KL to the
 * SFT policy no larger than 1.5 times DPO's. Numbers measured: trainer/README.md, "KTO".
 */
class KtoLearningTest {

    @TempDir
    Path temp;

    @BeforeAll
    static void sampleAndLabel() throws Exception {
        PreferenceLearningTest.sampleAndLabel();
    }

    /** The labeler's thumb for every continuation of the training prompts, from its own seeded noise. */
    static List<KtoExample> thumbs() {
        KeywordThumbs labeler = new KeywordThumbs(PreferenceLearningTest.WORD, 0.10, 4);
        List<KtoExample> out = new ArrayList<>();
        for (RankedResponses r : PreferenceLearningTest.noisyTrain) {
            for (String response : r.responses()) {
                out.add(new KtoExample(r.prompt(), response, labeler.up(response)));
            }
        }
        return out;
    }

    @Test
    void ktoFromThumbsRaisesTheLabelersScoreAsMuchAsDpoAtComparableKl() throws Exception {
        List<KtoExample> examples = thumbs();
        List<PreferencePair> pairs = new ArrayList<>();
        PreferenceLearningTest.noisyTrain.forEach(r -> pairs.addAll(r.pairs()));
        double before;
        double dpoAfter;
        double dpoKl;
        try (LoadedModel policy = PreferenceLearningTest.stories(); LoadedModel reference = PreferenceLearningTest.stories()) {
            before = PreferenceLearningTest.mentionRate(PreferenceLearningTest.samples(policy, 11L));
            new DpoTrainer(policy, DpoConfig.smallModels(), (phase, step, values) -> {}).train(pairs, temp.resolve("dpo"));
            List<GeneratedSample> fresh = PreferenceLearningTest.samples(policy, 11L);
            dpoAfter = PreferenceLearningTest.mentionRate(fresh);
            dpoKl = PreferenceLearningTest.sampledKl(fresh, reference);
        }
        List<Map<String, Double>> steps = new ArrayList<>();
        double ktoAfter;
        double ktoKl;
        long t0 = System.nanoTime();
        try (LoadedModel policy = PreferenceLearningTest.stories(); LoadedModel reference = PreferenceLearningTest.stories()) {
            KtoTrainer.Result result = new KtoTrainer(policy, KtoConfig.smallModels(), (phase, step, values) -> steps.add(values))
                    .train(examples, temp.resolve("kto"));
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<GeneratedSample> fresh = PreferenceLearningTest.samples(policy, 11L);
            ktoAfter = PreferenceLearningTest.mentionRate(fresh);
            ktoKl = PreferenceLearningTest.sampledKl(fresh, reference);
            System.out.printf("kto: %d examples (%s), %d steps in %.1f s; first %s; last %s%n", examples.size(),
                    KtoExample.counts(examples), result.steps(), seconds, steps.get(0), steps.get(result.steps() - 1));
        }
        System.out.printf("mention rate: SFT %.3f; DPO %.3f (KL %.3f nats); KTO %.3f (KL %.3f nats)%n",
                before, dpoAfter, dpoKl, ktoAfter, ktoKl);
        // Step 1 scores the initial policy: every log-ratio and z0 are 0, each loss term w (1 - sigmoid(0)) = w / 2, with the
        // balanced weights w = n_U / n_D for a thumb up and 1 for a thumb down.
        long up = examples.stream().filter(KtoExample::desirable).count();
        double upWeight = (examples.size() - up) / (double) up;
        Map<String, Double> first = steps.get(0);
        double expected = 0.5 * (upWeight * first.get("count/chosen") + first.get("count/rejected"))
                / (first.get("count/chosen") + first.get("count/rejected"));
        assertThat(first.get("loss")).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(steps.get(0).get("kl")).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(dpoAfter - before).isGreaterThan(0.2); // DPO learns here as in PreferenceLearningTest
        assertThat(ktoAfter - before).isGreaterThanOrEqualTo(dpoAfter - before);
        assertThat(ktoKl).isLessThanOrEqualTo(1.5 * dpoKl);
    }
}
