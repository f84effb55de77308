package dev.rlhf.trainer.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.dpo.DpoLoss;
import dev.rlhf.trainer.align.loss.LossOutput;
import dev.rlhf.trainer.align.loss.Masked;
import dev.rlhf.trainer.align.loss.SequenceLogprobs;
import dev.rlhf.trainer.align.ppo.Gae;
import dev.rlhf.trainer.align.ppo.PolicyLoss;
import dev.rlhf.trainer.align.ppo.TokenRewards;
import dev.rlhf.trainer.align.ppo.ValueLoss;
import dev.rlhf.trainer.align.reward.Ranking;
import dev.rlhf.trainer.align.reward.RankingLoss;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loss units fed float16 arrays on the CPU (constants, not a model's outputs): {@code SequenceLogprobs},
 * {@code PolicyLoss}, {@code TokenRewards}, {@code Gae}, {@code Masked.whiten}, {@code ValueLoss},
 * {@code DpoLoss} and {@code RankingLoss}. Per-token results keep the input type, scalar losses come
 * out finite (reductions may promote them to float32, which also keeps the masked-mean denominator's
 * floor from underflowing), and metrics read as numbers with the expected values.
 *
 * <p>What it does not cover: a model's forward or backward pass in half precision; that is
 * {@code PrecisionTest} ({@code LlamaModel.computeIn(FLOAT16)} on the CPU, float32 master weights).
 * bfloat16 cannot be tried on the CPU at all: in DJL 0.35.1 {@code toType(BFLOAT16)} aborts the JVM.
 */
class Float16LossInputsTest {

    @Test
    void lossUnitsAcceptFloat16Inputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mask = manager.create(new int[] {1, 1, 1, 1, 1, 0}, new Shape(2, 3));
            NDArray logits = manager.zeros(new Shape(2, 3, 4)).toType(DataType.FLOAT16, false);
            NDArray targets = manager.create(new int[] {0, 1, 2, 3, 0, 0}, new Shape(2, 3));
            SequenceLogprobs.Result lp = SequenceLogprobs.of(logits, targets, mask);
            assertThat(lp.perToken().getDataType()).isEqualTo(DataType.FLOAT16);

            // uniform logits over 4: every log-probability is -ln 4, the policy is its own rollout policy
            LossOutput policy = PolicyLoss.compute(lp.perToken(), lp.perToken().duplicate(),
                    manager.ones(new Shape(2, 3)).toType(DataType.FLOAT16, false), mask, 0.2);
            assertThat(Float.isFinite(policy.loss().toType(DataType.FLOAT32, false).getFloat())).isTrue();
            assertThat(policy.metric("loss/policy")).isEqualTo(-1.0);
            assertThat(policy.metric("policy/clipfrac")).isZero();

            NDArray values = manager.zeros(new Shape(2, 3)).toType(DataType.FLOAT16, false);
            TokenRewards.Result rewards = TokenRewards.compute(values, mask, manager.create(new float[] {1, 2}), null, 0.1, null, null);
            Gae.Result gae = Gae.compute(rewards.rewards(), values, mask, 1, 1);
            assertThat(gae.returns().getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(Masked.whiten(gae.advantages(), mask, true).getDataType()).isEqualTo(DataType.FLOAT16);
            LossOutput value = ValueLoss.compute(values, values.duplicate(), gae.returns(), mask, 0.2);
            assertThat(Float.isFinite(value.loss().toType(DataType.FLOAT32, false).getFloat())).isTrue();
            assertThat(value.metric("loss/value")).isCloseTo(0.5 * (1 + 1 + 1 + 4 + 4) / 5, within(1e-2));

            LossOutput dpo = DpoLoss.compute(lp.sum(), lp.sum().duplicate(), lp.sum().duplicate(), lp.sum().duplicate(),
                    DpoConfig.defaults());
            assertThat(dpo.metric("loss")).isCloseTo(Math.log(2), within(1e-2));
            LossOutput rm = RankingLoss.compute(values.get("0"), List.of(Ranking.of(0, 1, 2)), 0);
            assertThat(rm.metric("loss")).isCloseTo(Math.log(2), within(1e-2));
        }
    }
}
