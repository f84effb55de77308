package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.rlhf.trainer.align.data.RankedResponses.PreferencePair;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoTrainer;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.kto.KtoTrainer;
import dev.rlhf.trainer.align.ppo.Advantage;
import dev.rlhf.trainer.align.ppo.PpoConfig;
import dev.rlhf.trainer.align.ppo.PpoModels;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.ppo.PpoTrainer;
import dev.rlhf.trainer.align.ppo.ValueHeadRewardSource;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import dev.rlhf.trainer.generation.GeneratedSample;
import dev.rlhf.trainer.training.MetricsSink;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented experiment "reward against KL" (trainer/README.md): on the keyword-labeler task of
 * {@link PreferenceLearningTest} (stories260K as the SFT policy, K = 4 continuations of each story
 * opening ranked by a labeler preferring "park", 10% of rankings reversed), DPO on the labeler's pairs,
 * KTO on the same labeler's thumbs of the same continuations ({@link KtoLearningTest#thumbs()}),
 * and PPO (GAE with a critic, and the critic-free RLOO and GRPO advantages) against a reward model
 * trained on the same rankings, each measured at checkpoints during
 * training: the labeler's score of fresh samples (share of 200 continuations of 100 unseen openings
 * that mention the word) against KL(policy || SFT) on those samples (nats per 32-token continuation).
 * The data, the fresh openings and both measurements are {@link PreferenceLearningTest}'s.
 *
 * <p>Writes {@code reward-vs-kl.csv} and {@code reward-vs-kl.png} (JFreeChart, headless) to
 * {@code -Dexperiment.out} (default {@code target/experiments}). Tagged {@code benchmark}: not part
 * of the test suite; a few minutes on 2 cores.
 */
@Tag("benchmark")
class RewardVsKlExperiment {

    static {
        System.setProperty("java.awt.headless", "true"); // rendering a PNG needs no display
    }

    /** Optimizer steps between two measurements. */
    static final int EVERY = 4;
    static final int DPO_STEPS = 48;
    /** KTO's learning-test setting ({@link KtoConfig#smallModels()}) run longer. */
    static final int KTO_STEPS = 96;
    static final int PPO_ROLLOUTS = 10;

    record Point(String method, int step, double kl, double score) {}

    /** A PPO run of the experiment: its advantage, actor and critic learning rates and fixed KL coefficient. */
    record PpoSetting(String method, Advantage advantage, double actorLr, double criticLr, double klCoef) {}

    /**
     * The learning test's setting, a gentler one that stays closer to the SFT policy, and the critic-free
     * advantages at the gentle setting's actor rate and KL coefficient ({@link CriticFreeLearningTest}'s).
     */
    static final List<PpoSetting> PPO_SETTINGS = List.of(
            new PpoSetting("PPO", Advantage.GAE, 1e-3, 3e-3, 0.1),
            new PpoSetting("PPO-gentle", Advantage.GAE, 2e-4, 1e-3, 0.2),
            new PpoSetting("RLOO", Advantage.RLOO, 2e-4, 1e-3, 0.2),
            new PpoSetting("GRPO", Advantage.GRPO, 2e-4, 1e-3, 0.2));

    @TempDir
    Path temp;

    @BeforeAll
    static void sampleAndLabel() throws Exception {
        PreferenceLearningTest.sampleAndLabel();
    }

    @Test
    void labelerScoreAgainstKlForPpoAndDpo() throws Exception {
        List<Point> points = new ArrayList<>();
        try (LoadedModel reference = PreferenceLearningTest.stories()) {
            points.add(measure("SFT", 0, reference, reference));
            points.addAll(dpo(reference));
            points.addAll(kto(reference));
            Path rewardModel = rewardModel();
            for (PpoSetting setting : PPO_SETTINGS) {
                points.addAll(ppo(reference, rewardModel, setting));
            }
        }
        Path out = Path.of(System.getProperty("experiment.out", "target/experiments"));
        Files.createDirectories(out);
        writeCsv(points, out.resolve("reward-vs-kl.csv"));
        plot(points, out.resolve("reward-vs-kl.png"));
        points.forEach(p -> System.out.printf(Locale.ROOT, "%s step %d: KL %.2f nats, labeler score %.3f%n",
                p.method(), p.step(), p.kl(), p.score()));
        double sft = points.getFirst().score();
        for (String method : List.of("DPO", "KTO")) {
            assertThat(points.stream().filter(p -> p.method().equals(method)).mapToDouble(Point::score).max().orElseThrow())
                    .as(method).isGreaterThan(sft);
        }
        for (PpoSetting setting : PPO_SETTINGS) {
            assertThat(points.stream().filter(p -> p.method().equals(setting.method())).mapToDouble(Point::score).max()
                    .orElseThrow()).as(setting.method()).isGreaterThan(sft);
        }
    }

    /** DPO (beta 0.1, lr 2e-4, batches of 16 pairs: the learning test's settings), run longer. */
    List<Point> dpo(LoadedModel reference) throws Exception {
        List<PreferencePair> pairs = new ArrayList<>();
        PreferenceLearningTest.noisyTrain.forEach(r -> pairs.addAll(r.pairs()));
        DpoConfig config = DpoConfig.defaults().withBeta(0.1).withLearningRate(2e-4).withBatchSize(16)
                .withMaxSteps(DPO_STEPS).withMaxLength(128);
        List<Point> points = new ArrayList<>();
        try (LoadedModel policy = PreferenceLearningTest.stories()) {
            new DpoTrainer(policy, config, MetricsSink.none()).onStep((step, total, n) -> {
                if (step % EVERY == 0) {
                    points.add(measure("DPO", step, policy, reference));
                }
            }).train(pairs, temp.resolve("dpo"));
        }
        return points;
    }

    /** KTO on the labeler's thumbs (the learning test's settings: beta 0.1, lr 1e-4, batches of 16, balanced weights), run longer. */
    List<Point> kto(LoadedModel reference) throws Exception {
        KtoConfig config = KtoConfig.smallModels().withMaxSteps(KTO_STEPS);
        List<Point> points = new ArrayList<>();
        try (LoadedModel policy = PreferenceLearningTest.stories()) {
            new KtoTrainer(policy, config, MetricsSink.none()).onStep((step, total, n) -> {
                if (step % EVERY == 0) {
                    points.add(measure("KTO", step, policy, reference));
                }
            }).train(KtoLearningTest.thumbs(), temp.resolve("kto"));
        }
        return points;
    }

    /** The reward model of the learning test (lr 1e-3, 40 steps of 16 rankings), saved for PPO. */
    Path rewardModel() throws Exception {
        return rewardModel(temp);
    }

    /** {@link #rewardModel()}, written under {@code temp}. */
    static Path rewardModel(Path temp) throws Exception {
        RewardModelConfig config = RewardModelConfig.defaults().withLearningRate(1e-3).withBatchSize(16)
                .withMaxSteps(40).withWarmupRatio(0.05).withMaxLength(128);
        try (LoadedModel sft = PreferenceLearningTest.stories()) {
            RewardTrainer.Result result = new RewardTrainer(sft, config, MetricsSink.none())
                    .train(PreferenceLearningTest.noisyTrain, PreferenceLearningTest.trueHeldOut, temp.resolve("rm"));
            System.out.printf(Locale.ROOT, "reward model: held-out accuracy %.3f on %d pairs%n",
                    result.eval().accuracy(), result.eval().pairs());
            return result.model();
        }
    }

    /**
     * PPO as in {@code PpoRewardModelLearningTest} (critic initialised from the reward model, rollouts
     * of 8 openings x 4 samples, 2 epochs x 2 minibatches) with {@code setting}'s rates and KL
     * coefficient, on the training openings, with responses as long as the measured continuations.
     */
    List<Point> ppo(LoadedModel reference, Path rewardModel, PpoSetting setting) throws Exception {
        PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(32).numMiniBatches(2).ppoEpochs(2)
                .klCoef(setting.klCoef()).maxNewTokens(PreferenceLearningTest.CONTINUATION_TOKENS).whitenAdvantages(true)
                .whitenRewards(false).missingEosPenalty(null).ptxCoef(0.0)
                .actorLearningRate(setting.actorLr()).criticLearningRate(setting.criticLr()).seed(7)
                .advantage(setting.advantage()));
        PpoRunConfig run = PpoRunConfig.defaults().with(b -> b.maxSteps(PPO_ROLLOUTS * 4).epochs(1).numSamples(4)
                .temperature(1.0f).topK(0).topP(1.0f).checkpointEvery(0).ppo(ppo));
        List<String> prompts = PreferenceLearningTest.noisyTrain.stream().map(r -> r.prompt()).toList();
        LoadedModel actor = PreferenceLearningTest.stories();
        LoadedModel actorReference = PreferenceLearningTest.stories();
        LoadedModel critic = setting.advantage().needsCritic() ? ModelLoader.load(rewardModel, null, Device.cpu()) : null;
        LoadedModel reward = ModelLoader.load(rewardModel, null, Device.cpu());
        List<Point> points = new ArrayList<>();
        List<AutoCloseable> owned = critic == null ? List.of(actor, actorReference, reward)
                : List.of(actor, actorReference, critic, reward);
        try (PpoModels models = new PpoModels(actor.model(), actorReference.model(), critic == null ? null : critic.model(),
                new ValueHeadRewardSource(reward.model(), reward.tokenizer(), 32), actor.tokenizer(), owned)) {
            new PpoTrainer(models, run, MetricsSink.none()).onStep((step, total, values) -> {
                if (step % EVERY == 0) {
                    points.add(measure(setting.method(), step, actor, reference));
                }
            }).train(prompts, null, temp.resolve("ppo"), false);
        }
        return points;
    }

    /** The learning test's measurement of a policy: fresh samples' labeler score and KL to the SFT policy. */
    static Point measure(String method, int step, LoadedModel policy, LoadedModel reference) {
        List<GeneratedSample> fresh = PreferenceLearningTest.samples(policy, 11L);
        return new Point(method, step, PreferenceLearningTest.sampledKl(fresh, reference),
                PreferenceLearningTest.mentionRate(fresh));
    }

    static void writeCsv(List<Point> points, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("method,step,kl_nats,labeler_score");
        for (Point p : points) {
            lines.add(String.format(Locale.ROOT, "%s,%d,%.4f,%.4f", p.method(), p.step(), p.kl(), p.score()));
        }
        Files.write(file, lines);
    }

    /** One line per method from the SFT point (KL 0) through its checkpoints in training order. */
    static void plot(List<Point> points, Path file) throws IOException {
        Point sft = points.getFirst();
        XYSeriesCollection data = new XYSeriesCollection();
        List<String> methods = new ArrayList<>(PPO_SETTINGS.stream().map(PpoSetting::method).toList());
        methods.add("DPO");
        methods.add("KTO");
        for (String method : methods) {
            String label = PPO_SETTINGS.stream().filter(s -> s.method().equals(method)).findFirst()
                    .map(s -> String.format(Locale.ROOT, "%s vs learned RM (actor lr %.0e, kl-coef %.1f), every 4 of %d steps",
                            s.advantage() == Advantage.GAE ? "PPO" : s.method(), s.actorLr(), s.klCoef(), PPO_ROLLOUTS * 4))
                    .orElse(method.equals("DPO") ? "DPO (beta 0.1, lr 2e-4), every 4 of " + DPO_STEPS + " steps"
                            : "KTO from thumbs (beta 0.1, lr 1e-4, balanced weights), every 4 of " + KTO_STEPS + " steps");
            XYSeries series = new XYSeries(label, false, true);
            series.add(sft.kl(), sft.score());
            points.stream().filter(p -> p.method().equals(method)).forEach(p -> series.add(p.kl(), p.score()));
            data.addSeries(series);
        }
        NumberAxis x = new NumberAxis("KL(policy || SFT) on fresh samples, nats per 32-token continuation");
        NumberAxis y = new NumberAxis("labeler score: share of fresh samples mentioning \""
                + PreferenceLearningTest.WORD + "\"");
        y.setRange(0, 1);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Color[] colours = {new Color(0xC0392B), new Color(0xE67E22), new Color(0x27AE60), new Color(0x8E44AD),
            new Color(0x2471A3), new Color(0x17A589)};
        for (int i = 0; i < methods.size(); i++) {
            renderer.setSeriesPaint(i, colours[i % colours.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Labeler score vs KL to the SFT policy (stories260K, K = 4, 10% flipped rankings)",
                JFreeChart.DEFAULT_TITLE_FONT.deriveFont(15f), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 960, 600);
    }
}
