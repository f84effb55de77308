package dev.rlhf.trainer.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.align.loss.Functions;

/**
 * Generalised advantage estimation (Schulman et al. 2016) over right-padded responses:
 * {@code delta_t = r_t + gamma V_{t+1} - V_t}, {@code A_t = delta_t + gamma lambda A_{t+1}}, with
 * {@code V} and {@code A} taken as 0 after a response's last real token (the episode ends there),
 * and {@code returns = A + V}, the critic's regression target. Padding positions get 0.
 *
 * <p>The recursion runs in double precision on the host: it is T sequential steps over [B] values,
 * not worth a kernel launch each, and nothing here is differentiated.
 */
public final class Gae {

    private Gae() {
    }

    /** Advantages and returns [B, T], in the manager and type of {@code values}. */
    public record Result(NDArray advantages, NDArray returns) {
    }

    /**
     * @param rewards per-token rewards [B, T]
     * @param values  the critic's values at each response token [B, T] (from the rollout)
     * @param mask    response tokens [B, T]: each row a contiguous run of 1s (prompt or left part
     *                0s allowed before it, padding 0s after)
     */
    public static Result compute(NDArray rewards, NDArray values, NDArray mask, double gamma, double lambda) {
        if (!rewards.getShape().equals(values.getShape()) || !mask.getShape().equals(values.getShape())
                || values.getShape().dimension() != 2) {
            throw new IllegalArgumentException("rewards " + rewards.getShape() + ", values " + values.getShape()
                    + " and mask " + mask.getShape() + " must all be [B, T]");
        }
        if (!(gamma >= 0 && gamma <= 1) || !(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("gamma and lambda must be in [0, 1], got " + gamma + ", " + lambda);
        }
        int batch = (int) values.getShape().get(0);
        int time = (int) values.getShape().get(1);
        double[] r = hostCopy(rewards);
        double[] v = hostCopy(values);
        double[] m = hostCopy(mask);
        double[] advantages = new double[batch * time];
        double[] returns = new double[batch * time];
        for (int row = 0; row < batch; row++) {
            int base = row * time;
            checkContiguous(m, base, time, row);
            double nextValue = 0;
            double nextAdvantage = 0;
            for (int t = time - 1; t >= 0; t--) {
                if (m[base + t] == 0) {
                    continue; // padding after the response (or prompt before it): stays 0
                }
                double delta = r[base + t] + gamma * nextValue - v[base + t];
                double advantage = delta + gamma * lambda * nextAdvantage;
                advantages[base + t] = advantage;
                returns[base + t] = advantage + v[base + t];
                nextValue = v[base + t];
                nextAdvantage = advantage;
            }
        }
        return new Result(toArray(advantages, values), toArray(returns, values));
    }

    /** A host array as an array shaped and typed like {@code like}, in its manager. */
    private static NDArray toArray(double[] host, NDArray like) {
        float[] narrow = new float[host.length];
        for (int i = 0; i < host.length; i++) {
            narrow[i] = (float) host[i];
        }
        NDManager owner = like.getManager();
        return Functions.convert(owner.create(narrow, like.getShape()), like.getDataType(), owner);
    }

    private static double[] hostCopy(NDArray x) {
        try (NDManager scratch = x.getManager().newSubManager()) {
            NDArray d = x.stopGradient();
            d.attach(scratch);
            return d.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    private static void checkContiguous(double[] m, int base, int time, int row) {
        int runs = 0;
        for (int t = 0; t < time; t++) {
            if (m[base + t] != 0 && (t == 0 || m[base + t - 1] == 0)) {
                runs++;
            }
        }
        if (runs > 1) {
            throw new IllegalArgumentException("response mask of row " + row + " has gaps; GAE expects one contiguous run");
        }
    }
}
