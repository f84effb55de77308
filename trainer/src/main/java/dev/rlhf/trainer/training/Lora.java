package dev.rlhf.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.Scalars;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA (Hu et al. 2021): a frozen projection W gains a trainable low-rank update
 * {@code (alpha / rank) * B A}, with A random and B zero so training starts from the base model.
 * {@link #merge} folds the update into W, leaving a plain model.
 */
public final class Lora implements AutoCloseable {

    /**
     * @param rank    adapter rank r; 0 = no LoRA (default 8, the LoRA paper's common setting)
     * @param alpha   scaling numerator (default 16, i.e. scale 2 at rank 8, as PEFT examples)
     * @param targets projection names the adapters attach to (default q_proj and v_proj, as the paper)
     */
    public record Settings(int rank, float alpha, List<String> targets) {
        public Settings {
            targets = List.copyOf(targets);
            if (rank < 0) {
                throw new IllegalArgumentException("lora-rank must be >= 0, got " + rank);
            }
        }

        public static Settings off() {
            return new Settings(0, 16f, List.of("q_proj", "v_proj"));
        }

        public boolean enabled() {
            return rank > 0;
        }
    }

    private final LlamaModel model;
    private final NDManager manager;
    private final float scale;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    /** Attaches adapters to every projection whose name contains one of the targets. */
    public Lora(LlamaModel model, Settings settings, long seed) {
        this.model = model;
        this.manager = model.manager().newSubManager();
        this.scale = settings.alpha() / settings.rank();
        Random random = new Random(seed);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(".weight") || e.getValue().getShape().dimension() != 2
                    || settings.targets().stream().noneMatch(t -> name.contains("." + t + "."))) {
                continue;
            }
            long out = e.getValue().getShape().get(0);
            long in = e.getValue().getShape().get(1);
            float[] a = new float[(int) (settings.rank() * in)];
            double std = 1.0 / Math.sqrt(in); // Kaiming-uniform-like scale, as PEFT's init of A
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (random.nextGaussian() * std);
            }
            NDArray down = manager.create(a, new Shape(settings.rank(), in));
            NDArray up = manager.zeros(new Shape(out, settings.rank()));
            down.setRequiresGradient(true);
            up.setRequiresGradient(true);
            weights.put(adapterName(name, "A"), down);
            weights.put(adapterName(name, "B"), up);
            model.attachAdapter(name, x -> {
                NDArray hidden = x.getNDArrayInternal().linear(x, down, null).singletonOrThrow();
                return Scalars.times(hidden.getNDArrayInternal().linear(hidden, up, null).singletonOrThrow(), scale);
            });
        }
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("no weights match LoRA targets " + settings.targets());
        }
    }

    static String adapterName(String weight, String which) {
        return "lora." + weight + "." + which;
    }

    /** The trainable adapter matrices by name ({@code lora.<weight>.A} and {@code .B}). */
    public Map<String, NDArray> parameters() {
        return weights;
    }

    /** Adds {@code scale * B A} to each base weight and removes the adapters from the model. */
    public void merge() {
        try (NDManager scratch = manager.newSubManager()) {
            for (String name : model.adapters().keySet()) {
                NDArray a = weights.get(adapterName(name, "A"));
                NDArray b = weights.get(adapterName(name, "B"));
                NDArray base = model.parameter(name);
                NDArray delta = b.get(scratch, new ai.djl.ndarray.index.NDIndex("...")).matMul(a).mul(scale);
                base.addi(delta);
            }
        }
        model.detachAdapters();
    }

    @Override
    public void close() {
        manager.close();
    }
}
