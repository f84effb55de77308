package dev.rlhf.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, on named NDArrays whose gradients
 * autograd filled. Weight decay applies to matrices only, never to norms or biases (1-D weights),
 * as in nanoGPT and the Llama recipe. Moments live in their own manager and can be saved and
 * restored for exact resume.
 *
 * @see Settings
 */
public final class AdamW implements AutoCloseable {

    /**
     * @param beta1       first-moment decay (default 0.9)
     * @param beta2       second-moment decay (default 0.95, Llama 2 and nanoGPT)
     * @param epsilon     denominator guard (default 1e-8)
     * @param weightDecay decoupled weight decay of matrices (default 0.1, Llama 2)
     */
    public record Settings(float beta1, float beta2, float epsilon, float weightDecay) {
        public static Settings defaults() {
            return new Settings(0.9f, 0.95f, 1e-8f, 0.1f);
        }
    }

    private final Map<String, NDArray> parameters;
    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private int steps;

    /** @param parameters the weights to train, by name (gradients must be enabled on them) */
    public AdamW(Map<String, NDArray> parameters, Settings settings, NDManager parent) {
        this.parameters = new LinkedHashMap<>(parameters);
        this.settings = settings;
        this.manager = parent.newSubManager();
        parameters.forEach((name, p) -> {
            firstMoments.put(name, manager.zeros(p.getShape(), p.getDataType()));
            secondMoments.put(name, manager.zeros(p.getShape(), p.getDataType()));
        });
    }

    public static boolean decays(NDArray parameter) {
        return parameter.getShape().dimension() >= 2;
    }

    /** One update with learning rate {@code lr} from the current gradients, which it then zeroes. */
    public void step(float lr) {
        steps++;
        float b1 = settings.beta1();
        float b2 = settings.beta2();
        double correction1 = 1 - Math.pow(b1, steps);
        double correction2 = 1 - Math.pow(b2, steps);
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray p = e.getValue();
                NDArray grad = p.getGradient();
                grad.attach(scratch); // frees this handle (not the gradient) with the scratch scope
                NDArray m = firstMoments.get(e.getKey());
                NDArray v = secondMoments.get(e.getKey());
                m.muli(b1).addi(grad.mul(1 - b1));
                v.muli(b2).addi(grad.square().mul(1 - b2));
                if (decays(p) && settings.weightDecay() > 0) {
                    p.muli(1 - lr * settings.weightDecay());
                }
                NDArray mHat = m.get(scratch, new ai.djl.ndarray.index.NDIndex("...")).div(correction1);
                NDArray denominator = v.get(scratch, new ai.djl.ndarray.index.NDIndex("...")).div(correction2).sqrt()
                        .add(settings.epsilon());
                p.subi(mHat.div(denominator).mul(lr));
                grad.subi(grad); // zero in place, so the next backward accumulates from zero
            }
        }
    }

    public int steps() {
        return steps;
    }

    /** Moments and step count as named tensors, for checkpoints. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> state = new LinkedHashMap<>();
        firstMoments.forEach((name, m) -> state.put("adamw.m." + name, m));
        secondMoments.forEach((name, v) -> state.put("adamw.v." + name, v));
        return state;
    }

    /** Restores what {@link #state()} saved, and the number of steps taken. */
    public void load(Map<String, NDArray> state, int stepsTaken) {
        for (String name : parameters.keySet()) {
            copy(state, "adamw.m." + name, firstMoments.get(name));
            copy(state, "adamw.v." + name, secondMoments.get(name));
        }
        this.steps = stepsTaken;
    }

    private static void copy(Map<String, NDArray> state, String key, NDArray into) {
        NDArray saved = state.get(key);
        if (saved == null) {
            throw new IllegalArgumentException("optimizer state lacks " + key);
        }
        into.set(saved.toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
    }
}
