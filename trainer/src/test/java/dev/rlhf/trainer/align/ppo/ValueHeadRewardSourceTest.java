package dev.rlhf.trainer.align.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.align.data.TokenizedResponse;
import dev.rlhf.trainer.align.reward.RewardScorer;
import dev.rlhf.trainer.align.reward.RewardTrainer;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import dev.rlhf.trainer.training.MetricsSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO's reward model scores exactly the tokens the policy produced: the prompt as the policy saw it
 * (left-truncated to the policy's context), the sampled response, then EOS, cut to the length the
 * reward model was trained at ({@code reward_max_length} in its checkpoint) the way the reward trainer
 * cuts (BOS kept, the prompt loses its start, the response is kept), read at the response's last token.
 */
class ValueHeadRewardSourceTest {

    static final int REWARD_MAX_LENGTH = 48;
    static final int MAX_NEW_TOKENS = 12;

    @TempDir
    Path temp;

    /** What PPO hands its reward source, recorded; scoring is delegated to the reward model. */
    static final class Recording implements RewardSource {
        final ValueHeadRewardSource inner;
        final List<String> prompts = new ArrayList<>();
        final List<int[]> promptIds = new ArrayList<>();
        final List<int[]> responseIds = new ArrayList<>();
        final List<Double> scores = new ArrayList<>();

        Recording(ValueHeadRewardSource inner) {
            this.inner = inner;
        }

        @Override
        public double[] score(List<String> p, List<String> completions) {
            throw new AssertionError("PPO should score its rollouts' token ids, not their texts");
        }

        @Override
        public double[] scoreTokens(List<String> p, List<String> completions, List<int[]> pIds, List<int[]> rIds) {
            double[] s = inner.scoreTokens(p, completions, pIds, rIds);
            prompts.addAll(p);
            promptIds.addAll(pIds);
            responseIds.addAll(rIds);
            Arrays.stream(s).forEach(scores::add);
            return s;
        }
    }

    @Test
    void aLongPromptIsScoredOnThePolicysTokensTruncatedAsTheRewardTrainerDoes() throws Exception {
        Path rmDir = temp.resolve("rm");
        try (LoadedModel rm = PpoFixtures.randomHeadRewardModel(3)) {
            ModelCheckpoint.save(rm.model(), rm.tokenizer(), rmDir,
                    Map.of("phase", "reward", RewardTrainer.MAX_LENGTH_METADATA, Integer.toString(REWARD_MAX_LENGTH)));
        }
        String longPrompt = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                .repeat(30) + "One day, Lily";
        List<String> prompts = List.of(longPrompt, "Tom had a");
        PpoConfig ppo = PpoConfig.defaults().with(b -> b.rolloutBatchSize(4).numMiniBatches(1).ppoEpochs(1)
                .maxNewTokens(MAX_NEW_TOKENS).actorLearningRate(1e-4).criticLearningRate(1e-4));
        PpoRunConfig run = PpoRunConfig.of(ppo).with(b -> b.maxSteps(1).epochs(1).numSamples(2).temperature(1.0f).topK(0).topP(1.0f)).withCheckpointEvery(0);

        try (PpoModels loaded = PpoModels.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), rmDir,
                Device.cpu(), false, 4)) {
            ValueHeadRewardSource rm = (ValueHeadRewardSource) loaded.reward();
            assertThat(rm.maxLength()).as("reward_max_length read from the checkpoint").isEqualTo(REWARD_MAX_LENGTH);
            TextTokenizer tokenizer = loaded.tokenizer();
            int context = loaded.actor().config().maxSeqLen();
            assertThat(tokenizer.encode(longPrompt).length).as("the prompt is longer than the policy's context").isGreaterThan(context);

            Recording recording = new Recording(rm);
            PpoModels models = new PpoModels(loaded.actor(), loaded.reference(), loaded.critic(), recording, tokenizer, List.of());
            new PpoTrainer(models, run, MetricsSink.none()).train(prompts, null, temp.resolve("ppo"), false);

            assertThat(recording.prompts).hasSize(4).contains(longPrompt);
            int eos = tokenizer.eosId();
            for (int i = 0; i < recording.prompts.size(); i++) {
                // the prompt as the policy saw it: BOS and the end that fits before the response
                int[] encoded = tokenizer.encode(recording.prompts.get(i));
                int room = context - MAX_NEW_TOKENS;
                int[] policyPrompt = encoded;
                if (encoded.length > room) {
                    policyPrompt = new int[room];
                    policyPrompt[0] = encoded[0];
                    System.arraycopy(encoded, encoded.length - (room - 1), policyPrompt, 1, room - 1);
                }
                assertThat(recording.promptIds.get(i)).containsExactly(policyPrompt);
                int[] response = recording.responseIds.get(i);
                assertThat(response.length).isBetween(1, MAX_NEW_TOKENS);

                // expected: prompt + response + EOS; too long: BOS, the prompt's end, the whole response
                boolean ended = response[response.length - 1] == eos;
                int[] withEos = Arrays.copyOf(response, response.length + (ended ? 0 : 1));
                withEos[withEos.length - 1] = eos;
                int[] expected;
                int responseFrom;
                if (policyPrompt.length + withEos.length <= REWARD_MAX_LENGTH) {
                    expected = concat(policyPrompt, withEos);
                    responseFrom = policyPrompt.length;
                } else {
                    int promptTail = REWARD_MAX_LENGTH - 1 - withEos.length;
                    expected = concat(new int[] {policyPrompt[0]},
                            Arrays.copyOfRange(policyPrompt, policyPrompt.length - promptTail, policyPrompt.length), withEos);
                    responseFrom = 1 + promptTail;
                }
                TokenizedResponse scored = rm.rows(List.of(recording.promptIds.get(i)), List.of(response)).getFirst();
                assertThat(scored.ids()).as("row %d", i).containsExactly(expected);
                assertThat(scored.responseFrom()).isEqualTo(responseFrom);

                double direct = RewardScorer.rewards(rm.model(), List.of(new TokenizedResponse(expected, responseFrom)), 1)[0];
                assertThat(recording.scores.get(i)).as("score of row %d", i).isCloseTo(direct, within(1e-4));

                if (recording.prompts.get(i).equals(longPrompt)) {
                    assertThat(scored.length()).isEqualTo(REWARD_MAX_LENGTH);
                    // The old layout (the texts re-encoded, cut from the end at the context) read the score
                    // inside the prompt: a different number.
                    int[] reencoded = tokenizer.encode(recording.prompts.get(i) + tokenizer.decode(response, policyPrompt[policyPrompt.length - 1]));
                    int[] old = Arrays.copyOf(reencoded, Math.min(reencoded.length, context));
                    double oldScore = RewardScorer.rewards(rm.model(), List.of(new TokenizedResponse(old, 1)), 1)[0];
                    assertThat(Math.abs(oldScore - direct)).isGreaterThan(1e-3);
                }
            }
        }
    }

    static int[] concat(int[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
