package dev.rlhf.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A Llama-style decoder-only transformer: token embedding, {@code nLayers} blocks of
 * (RMSNorm, grouped-query attention with rotary positions, residual, RMSNorm, SwiGLU MLP,
 * residual), a final RMSNorm, and a tied or separate output head. An optional scalar value head
 * turns the same trunk into a reward model or a PPO critic.
 *
 * <p>The families differ only in options of {@link LlamaConfig}: Qwen2 adds q/k/v biases, Qwen3 an
 * RMSNorm over each q and k head before RoPE and a head size of its own, Llama 3.1 a rescaling of
 * the rotary frequencies; Mistral and SmolLM2 are plain Llama.
 *
 * <p>Weights are plain named NDArrays with Hugging Face names ({@code model.layers.0.self_attn.q_proj.weight}),
 * so checkpoints, freezing and adapters work on names. Rotary embedding uses llama2.c's layout
 * (consecutive pairs within a head); Hugging Face checkpoints are permuted on load and save.
 *
 * <p>Precision: weights are float32 unless {@link #storeIn} narrowed them (frozen models on a GPU).
 * {@link #computeIn} picks the type of the matrix products (bfloat16 on a GPU); the residual stream,
 * RMSNorm, softmax and everything after the logits stay float32, as under torch.autocast, so
 * trained weights and optimizer states remain float32 masters.
 *
 * <p>Memory: every activation is owned by the manager of the {@code tokens} array passed in, so a
 * caller that scopes each step in a sub-manager frees everything the step created.
 */
public final class LlamaModel implements AutoCloseable {

    public static final String EMBEDDING = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String OUTPUT_HEAD = "lm_head.weight";
    public static final String VALUE_HEAD_WEIGHT = "value_head.weight";
    public static final String VALUE_HEAD_BIAS = "value_head.bias";

    /** Added to attention scores of masked keys; finite so that a fully masked row stays finite. */
    private static final float MASKED_SCORE = -1e9f;

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray ropeCos;
    private final NDArray ropeSin;
    private final Block[] blocks;
    private final Map<String, LinearAdapter> adapters = new LinkedHashMap<>();
    private DataType computeType = DataType.FLOAT32;
    private WeightsDtype savedDtype = WeightsDtype.F32;

    /**
     * Wraps named weights (the model takes ownership of {@code manager}). Shapes are checked against
     * the config; a value head is optional.
     */
    public LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights) {
        this.config = config;
        this.manager = manager;
        this.parameters = new LinkedHashMap<>();
        Map<String, Shape> expected = expectedShapes(config);
        for (Map.Entry<String, Shape> entry : expected.entrySet()) {
            NDArray weight = weights.get(entry.getKey());
            if (weight == null) {
                throw new IllegalArgumentException("missing weight " + entry.getKey());
            }
            putChecked(entry.getKey(), weight, entry.getValue());
        }
        if (weights.containsKey(VALUE_HEAD_WEIGHT)) {
            putChecked(VALUE_HEAD_WEIGHT, weights.get(VALUE_HEAD_WEIGHT), new Shape(1, config.dim()));
            putChecked(VALUE_HEAD_BIAS, weights.get(VALUE_HEAD_BIAS), new Shape(1));
        }
        for (String name : weights.keySet()) {
            if (!parameters.containsKey(name)) {
                throw new IllegalArgumentException("unexpected weight " + name + " for " + config);
            }
        }
        NDArray[] tables = rotaryTables(manager, config);
        this.ropeCos = tables[0];
        this.ropeSin = tables[1];
        this.blocks = new Block[config.nLayers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = Block.of(i, config);
        }
    }

    /** A freshly initialised model (normal(0, 0.02) weights, unit norms), as in GPT-2 and nanoGPT. */
    public static LlamaModel initialise(LlamaConfig config, Device device, long seed) {
        NDManager manager = NDManager.newBaseManager(device);
        Random random = new Random(seed);
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> entry : expectedShapes(config).entrySet()) {
            Shape shape = entry.getValue();
            float[] values = new float[(int) shape.size()];
            boolean norm = entry.getKey().endsWith("norm.weight");
            boolean bias = entry.getKey().endsWith(".bias");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm ? 1f : bias ? 0f : (float) (random.nextGaussian() * 0.02);
            }
            weights.put(entry.getKey(), manager.create(values, shape));
        }
        return new LlamaModel(config, manager, weights);
    }

    /** Names and shapes of every weight the config implies (value head excluded), in checkpoint order. */
    public static Map<String, Shape> expectedShapes(LlamaConfig c) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(EMBEDDING, new Shape(c.vocabSize(), c.dim()));
        for (int i = 0; i < c.nLayers(); i++) {
            Block b = Block.of(i, c);
            shapes.put(b.attentionNorm(), new Shape(c.dim()));
            shapes.put(b.q().weight(), new Shape(c.qDim(), c.dim()));
            shapes.put(b.k().weight(), new Shape(c.kvDim(), c.dim()));
            shapes.put(b.v().weight(), new Shape(c.kvDim(), c.dim()));
            if (c.qkvBias()) {
                shapes.put(b.q().bias(), new Shape(c.qDim()));
                shapes.put(b.k().bias(), new Shape(c.kvDim()));
                shapes.put(b.v().bias(), new Shape(c.kvDim()));
            }
            if (c.qkNorm()) {
                shapes.put(b.qNorm(), new Shape(c.headDim()));
                shapes.put(b.kNorm(), new Shape(c.headDim()));
            }
            shapes.put(b.o().weight(), new Shape(c.dim(), c.qDim()));
            if (c.outputBias()) {
                shapes.put(b.o().bias(), new Shape(c.dim()));
            }
            shapes.put(b.mlpNorm(), new Shape(c.dim()));
            shapes.put(b.gate().weight(), new Shape(c.hiddenDim(), c.dim()));
            shapes.put(b.up().weight(), new Shape(c.hiddenDim(), c.dim()));
            shapes.put(b.down().weight(), new Shape(c.dim(), c.hiddenDim()));
        }
        shapes.put(FINAL_NORM, new Shape(c.dim()));
        if (!c.tiedEmbeddings()) {
            shapes.put(OUTPUT_HEAD, new Shape(c.vocabSize(), c.dim()));
        }
        return shapes;
    }

    /** Name of a weight inside block {@code index}, e.g. {@code layer(0, "mlp.up_proj.weight")}. */
    public static String layer(int index, String suffix) {
        return "model.layers." + index + "." + suffix;
    }

    /** A linear projection's weight name and its bias name (null when the config has none). */
    public record Projection(String weight, String bias) {
        static Projection of(int index, String name, boolean biased) {
            return new Projection(layer(index, name + ".weight"), biased ? layer(index, name + ".bias") : null);
        }
    }

    /**
     * The weight names of one block, built once from the config: the forward pass, the shape table and
     * the checkpoint readers use the same names, so a misspelt one cannot compile into a lookup that fails later.
     * {@code qNorm}/{@code kNorm} are null unless the config normalises q and k heads (Qwen3).
     */
    public record Block(int index, String attentionNorm, Projection q, Projection k, Projection v, String qNorm, String kNorm,
                 Projection o, String mlpNorm, Projection gate, Projection up, Projection down) {
        public static Block of(int i, LlamaConfig c) {
            return new Block(i, layer(i, "input_layernorm.weight"),
                    Projection.of(i, "self_attn.q_proj", c.qkvBias()),
                    Projection.of(i, "self_attn.k_proj", c.qkvBias()),
                    Projection.of(i, "self_attn.v_proj", c.qkvBias()),
                    c.qkNorm() ? layer(i, "self_attn.q_norm.weight") : null,
                    c.qkNorm() ? layer(i, "self_attn.k_norm.weight") : null,
                    Projection.of(i, "self_attn.o_proj", c.outputBias()),
                    layer(i, "post_attention_layernorm.weight"),
                    Projection.of(i, "mlp.gate_proj", false),
                    Projection.of(i, "mlp.up_proj", false),
                    Projection.of(i, "mlp.down_proj", false));
        }
    }

    // ---------------------------------------------------------------- forward

    /** Logits [B, T, vocab] of a batch of unpadded sequences [B, T]; no cache. */
    public NDArray forward(NDArray tokens) {
        return logits(hiddenStates(tokens, null, null, null));
    }

    /**
     * Runs the trunk and returns the final-norm hidden states [B, T, dim].
     *
     * @param tokens    token ids [B, T] (int32 or int64)
     * @param keyMask   1 for real tokens and 0 for padding over all key positions [B, cached + T]
     *                  (left padding for generation, right padding for training); null: no padding
     * @param positions rotary positions [B, T]; null: counted from the first real token of each row
     * @param cache     past keys and values to attend to and extend, or null
     */
    public NDArray hiddenStates(NDArray tokens, NDArray keyMask, NDArray positions, KvCache cache) {
        NDManager step = tokens.getManager();
        long batch = tokens.getShape().get(0);
        int time = (int) tokens.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (positions == null) {
            positions = positionsFromMask(step, keyMask, batch, past, time);
        }
        return trunk(tokens, positions, attentionBias(step, keyMask, batch, past, time), cache);
    }

    /**
     * As {@link #hiddenStates(NDArray, NDArray, NDArray, KvCache)} with the key mask on the host, as a
     * decoding loop has it: positions and the attention bias are computed in Java and copied over as
     * two arrays, instead of a dozen tiny native operations per generated token. Same values.
     *
     * @param keyMask one row per batch row over all key positions (cached and new), 1 = real token
     */
    public NDArray hiddenStates(NDArray tokens, int[][] keyMask, KvCache cache) {
        NDManager step = tokens.getManager();
        int batch = (int) tokens.getShape().get(0);
        int time = (int) tokens.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        int keys = past + time;
        checkContext(keys);
        long[] positions = new long[batch * time];
        float[] bias = new float[batch * time * keys];
        for (int row = 0; row < batch; row++) {
            if (keyMask[row].length != keys) {
                throw new IllegalArgumentException("key mask covers " + keyMask[row].length
                        + " positions but the forward pass attends to " + keys);
            }
            long counted = 0;
            for (int key = 0; key < keys; key++) {
                counted += keyMask[row][key];
                if (key >= past) {
                    positions[row * time + key - past] = Math.max(counted - 1, 0);
                }
            }
            for (int query = 0; query < time; query++) {
                for (int key = 0; key < keys; key++) {
                    boolean allowed = key <= past + query && keyMask[row][key] != 0;
                    bias[(row * time + query) * keys + key] = allowed ? 0f : MASKED_SCORE;
                }
            }
        }
        return trunk(tokens, step.create(positions, new Shape(batch, time)),
                step.create(bias, new Shape(batch, 1, 1, time, keys)), cache);
    }

    /** The blocks over the embedded tokens, then the final norm, as nanoGPT's {@code GPT.forward}. */
    private NDArray trunk(NDArray tokens, NDArray positions, NDArray bias, KvCache cache) {
        int time = (int) tokens.getShape().get(1);
        NDArray cos = cast(embed(positions, ropeCos), computeType).expandDims(2); // [B, T, 1, headDim]
        NDArray sin = cast(embed(positions, ropeSin), computeType).expandDims(2);
        NDArray x = cast(embed(tokens, parameters.get(EMBEDDING)), DataType.FLOAT32); // the residual stream
        // Scalars made once per pass, not once per use: each is two native calls.
        Step step = new Step(cos, sin, bias, Scalars.of(x, config.normEps()),
                Scalars.of(cos, 1.0 / Math.sqrt(config.headDim())), cache);
        for (Block block : blocks) {
            x = x.add(cast(attention(block, rmsNorm(x, block.attentionNorm(), step), step), DataType.FLOAT32));
            x = x.add(cast(mlp(block, rmsNorm(x, block.mlpNorm(), step)), DataType.FLOAT32));
        }
        if (cache != null) {
            cache.advance(time);
        }
        return rmsNorm(x, FINAL_NORM, step);
    }

    /** What every block of one forward pass shares. */
    private record Step(NDArray cos, NDArray sin, NDArray bias, NDArray normEps, NDArray attentionScale, KvCache cache) {}

    /** Next-token logits [..., vocab] from hidden states [..., dim], float32 whatever the compute type. */
    public NDArray logits(NDArray hidden) {
        return cast(linear(hidden, config.tiedEmbeddings() ? TIED_HEAD : SEPARATE_HEAD), DataType.FLOAT32);
    }

    private static final Projection TIED_HEAD = new Projection(EMBEDDING, null);
    private static final Projection SEPARATE_HEAD = new Projection(OUTPUT_HEAD, null);

    /** Scalar values [...] from hidden states [..., dim], through the value head. */
    public NDArray values(NDArray hidden) {
        if (!hasValueHead()) {
            throw new IllegalStateException("this model has no value head; call addValueHead() first");
        }
        NDArray out = hidden.getNDArrayInternal()
                .linear(hidden, weight(VALUE_HEAD_WEIGHT, DataType.FLOAT32, hidden.getManager()),
                        weight(VALUE_HEAD_BIAS, DataType.FLOAT32, hidden.getManager()))
                .singletonOrThrow();
        return out.squeeze(-1);
    }

    /** Values [B] read at one position per row (e.g. the last real token of a right-padded batch). */
    public NDArray valuesAt(NDArray hidden, int[] positionPerRow) {
        NDManager step = hidden.getManager();
        long[] index = new long[positionPerRow.length];
        for (int i = 0; i < index.length; i++) {
            index[i] = positionPerRow[i];
        }
        NDArray rows = step.arange(positionPerRow.length).toType(DataType.INT64, false);
        NDArray picked = hidden.get(new NDIndex("{}, {}", rows, step.create(index))); // [B, dim]
        return values(picked);
    }

    private NDArray attention(Block block, NDArray x, Step step) {
        long batch = x.getShape().get(0);
        long time = x.getShape().get(1);
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int headDim = config.headDim();
        NDArray q = linear(x, block.q()).reshape(batch, time, heads, headDim);
        NDArray k = linear(x, block.k()).reshape(batch, time, kvHeads, headDim);
        NDArray v = linear(x, block.v()).reshape(batch, time, kvHeads, headDim);
        if (config.qkNorm()) {
            // Qwen3: each head of q and k is normalised on its own, before the rotation.
            q = cast(rmsNorm(q, block.qNorm(), step), computeType);
            k = cast(rmsNorm(k, block.kNorm(), step), computeType);
        }
        q = rotate(q, step).transpose(0, 2, 1, 3); // [B, H, T, hd]
        k = rotate(k, step).transpose(0, 2, 1, 3); // [B, Hkv, T, hd]
        v = v.transpose(0, 2, 1, 3);
        if (step.cache() != null) {
            NDArray[] all = step.cache().append(block.index(), k, v);
            k = all[0];
            v = all[1];
        }
        // Grouped-query attention as one batched product per key/value head: the perKv query heads
        // that share key head h / perKv (as in llama2.c and HF repeat_kv) become rows of one matrix,
        // so keys and values are read in place (a broadcast over heads would copy them every step).
        int perKv = config.queriesPerKvHead();
        q = q.reshape(batch, kvHeads, perKv * time, headDim);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(step.attentionScale()); // [B, Hkv, perKv*T, S]
        long keys = scores.getShape().get(3);
        // Scores in the compute type, softmax in float32 (a bf16 softmax loses the small weights).
        NDArray masked = cast(scores, DataType.FLOAT32).reshape(batch, kvHeads, perKv, time, keys).add(step.bias());
        NDArray weights = cast(masked.softmax(-1).reshape(batch, kvHeads, perKv * time, keys), computeType);
        NDArray out = weights.matMul(v) // [B, Hkv, perKv*T, hd]
                .reshape(batch, heads, time, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(batch, time, config.qDim());
        return linear(out, block.o());
    }

    /** SwiGLU: {@code w2(silu(w1 x) * w3 x)}. */
    private NDArray mlp(Block block, NDArray x) {
        NDArray gate = linear(x, block.gate());
        NDArray up = linear(x, block.up());
        return linear(gate.mul(Activation.sigmoid(gate)).mul(up), block.down());
    }

    /** RMSNorm over the last axis, always in float32 (returns float32). */
    private NDArray rmsNorm(NDArray x, String weightName, Step step) {
        NDArray x32 = cast(x, DataType.FLOAT32);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(step.normEps()).sqrt();
        return x32.div(rms).mul(weight(weightName, DataType.FLOAT32, x.getManager()));
    }

    /**
     * Rotary embedding on consecutive pairs (2j, 2j+1) of each head: x [B, T, heads, hd]. As
     * {@code x * cos + swapPairs(x) * sin} with the tables' even sines negated, which is the pairwise
     * {@code (re cos - im sin, re sin + im cos)} to the bit (x - y equals x + (-y) in IEEE arithmetic),
     * in five native calls instead of ten.
     */
    private static NDArray rotate(NDArray x, Step step) {
        Shape shape = x.getShape();
        NDArray swapped = x.reshape(shape.get(0), shape.get(1), shape.get(2), shape.get(3) / 2, 2)
                .flip(-1).reshape(shape);
        return x.mul(step.cos()).add(swapped.mul(step.sin()));
    }

    /** {@code x W^T (+ b)} in the compute type, plus the projection's adapter (LoRA) if one is attached. */
    private NDArray linear(NDArray x, Projection projection) {
        NDManager step = x.getManager();
        NDArray bias = projection.bias() != null ? weight(projection.bias(), computeType, step) : null;
        NDArray input = cast(x, computeType);
        NDArray out = input.getNDArrayInternal()
                .linear(input, weight(projection.weight(), computeType, step), bias).singletonOrThrow();
        LinearAdapter adapter = adapters.get(projection.weight());
        return adapter == null ? out : out.add(cast(adapter.apply(x), out.getDataType()));
    }

    /** A weight in {@code type}: the stored array itself, or a cast the autograd graph sees through. */
    private NDArray weight(String name, DataType type, NDManager step) {
        return cast(parameters.get(name), type, step);
    }

    /**
     * {@code x} in {@code type}, differentiably. DJL's {@code toType} runs under PyTorch's no-grad
     * guard, so its result is cut off from the autograd graph (a float32 master weight cast to
     * bfloat16 would get no gradient). An in-place add into zeros of the target type is recorded
     * like any add, and autograd casts the gradient back to {@code x}'s type.
     */
    static NDArray cast(NDArray x, DataType type) {
        return cast(x, type, x.getManager());
    }

    /** As {@link #cast(NDArray, DataType)}, the result owned by {@code manager} (a step's, for weights). */
    static NDArray cast(NDArray x, DataType type, NDManager manager) {
        if (x.getDataType() == type) {
            return x;
        }
        return manager.zeros(x.getShape(), type, x.getDevice()).addi(x);
    }

    /** Row lookup that leaves the result in the manager of {@code ids}, not of the table. */
    private static NDArray embed(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private void checkContext(int length) {
        if (length > config.maxSeqLen()) {
            throw new IllegalArgumentException(
                    "sequence of " + length + " tokens exceeds the model's context of " + config.maxSeqLen());
        }
    }

    private NDArray positionsFromMask(NDManager step, NDArray keyMask, long batch, int past, int time) {
        checkContext(past + time);
        if (keyMask == null) {
            return step.arange(past, past + time).toType(DataType.INT64, false)
                    .expandDims(0).repeat(0, batch);
        }
        // Left padding: a row's first real token gets position 0, as Hugging Face does.
        NDArray counted = keyMask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(0);
        return counted.get(new NDIndex().addAllDim().addSliceDim(past, past + time));
    }

    /** Additive attention bias [B, 1, 1, T, S]: 0 where a query may attend a key, very negative elsewhere. */
    private NDArray attentionBias(NDManager step, NDArray keyMask, long batch, int past, int time) {
        int keys = past + time;
        NDArray keySlots = step.arange(keys).expandDims(0); // [1, S]
        NDArray querySlots = step.arange(past, keys).expandDims(1); // [T, 1]
        NDArray allowed = keySlots.lte(querySlots).toType(DataType.FLOAT32, false); // [T, S]
        if (keyMask != null) {
            if (keyMask.getShape().get(1) != keys) {
                throw new IllegalArgumentException("key mask covers " + keyMask.getShape().get(1)
                        + " positions but the forward pass attends to " + keys);
            }
            allowed = allowed.expandDims(0).mul(keyMask.toType(DataType.FLOAT32, false).expandDims(1)); // [B, T, S]
        } else {
            allowed = allowed.expandDims(0);
        }
        return allowed.sub(1f).mul(-MASKED_SCORE).reshape(allowed.getShape().get(0), 1, 1, time, keys);
    }

    /**
     * Rotary tables [maxSeqLen, headDim]: each frequency's cosine twice (for both members of a
     * pair), and its sine negated for the pair's first member, as {@link #rotate} applies them.
     */
    private static NDArray[] rotaryTables(NDManager manager, LlamaConfig config) {
        float[] inverseFrequencies = config.ropeInverseFrequencies();
        int half = inverseFrequencies.length;
        int width = 2 * half;
        float[] cos = new float[config.maxSeqLen() * width];
        float[] sin = new float[config.maxSeqLen() * width];
        for (int pos = 0; pos < config.maxSeqLen(); pos++) {
            for (int j = 0; j < half; j++) {
                float angle = pos * inverseFrequencies[j]; // float32 product, as transformers' rotary embedding
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[pos * width + 2 * j] = c;
                cos[pos * width + 2 * j + 1] = c;
                sin[pos * width + 2 * j] = -s;
                sin[pos * width + 2 * j + 1] = s;
            }
        }
        Shape shape = new Shape(config.maxSeqLen(), width);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }

    // ---------------------------------------------------------------- parameters

    public LlamaConfig config() {
        return config;
    }

    /** The manager that owns the weights; sub-managers of it run on the model's device. */
    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** The type the weights are stored in (float32 unless {@link #storeIn} narrowed them). */
    public DataType dataType() {
        return parameters.get(EMBEDDING).getDataType();
    }

    /** The type of the matrix products (and of the KV cache). */
    public DataType computeType() {
        return computeType;
    }

    /**
     * Runs the matrix products in {@code type} (float32, or bfloat16/float16 on a GPU); norms,
     * softmax and logits stay float32. Weights are cast on the fly, so float32 weights stay the
     * masters that the optimizer updates.
     */
    public void computeIn(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.BFLOAT16 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute type must be float32, bfloat16 or float16, got " + type);
        }
        this.computeType = type;
    }

    /**
     * Converts the stored weights to {@code type}: for frozen models (reference, reward) on a GPU,
     * halving their memory. A trained model keeps float32 weights (its optimizer's masters).
     */
    public void storeIn(DataType type) {
        parameters.replaceAll((name, array) -> {
            if (array.getDataType() == type) {
                return array;
            }
            NDArray converted = array.toType(type, true);
            converted.attach(manager);
            array.close();
            return converted;
        });
    }

    /** The dtype checkpoints of this model are written in: the one its weights came in, unless changed. */
    public WeightsDtype savedDtype() {
        return savedDtype;
    }

    /** Sets the dtype checkpoints of this model are written in ({@code --save-dtype}). */
    public void saveAs(WeightsDtype dtype) {
        this.savedDtype = java.util.Objects.requireNonNull(dtype);
    }

    /** All weights by name, in checkpoint order (read-only view; the arrays are live). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public NDArray parameter(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no weight named " + name);
        }
        return p;
    }

    /** The weights as an NDList whose arrays carry their names (for safetensors). */
    public NDList namedParameters() {
        NDList list = new NDList();
        parameters.forEach((name, array) -> {
            array.setName(name);
            list.add(array);
        });
        return list;
    }

    public boolean hasValueHead() {
        return parameters.containsKey(VALUE_HEAD_WEIGHT);
    }

    /** Adds a value head initialised to zero (so initial values are 0), unless one exists. */
    public void addValueHead() {
        if (!hasValueHead()) {
            parameters.put(VALUE_HEAD_WEIGHT, manager.zeros(new Shape(1, config.dim())));
            parameters.put(VALUE_HEAD_BIAS, manager.zeros(new Shape(1)));
        }
    }

    /** Turns gradient tracking on for the weights that {@code trainable} accepts and off for the rest. */
    public void setTrainable(Predicate<String> trainable) {
        parameters.forEach((name, array) -> array.setRequiresGradient(trainable.test(name)));
    }

    /** Adds {@code adapter}'s output to the projection by {@code weightName} (LoRA). */
    public void attachAdapter(String weightName, LinearAdapter adapter) {
        parameter(weightName);
        adapters.put(weightName, adapter);
    }

    public Map<String, LinearAdapter> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    /** Removes all adapters without touching the base weights. */
    public void detachAdapters() {
        adapters.clear();
    }

    /** Replaces a weight in place (same shape), e.g. when merging an adapter. */
    public void replaceParameter(String name, NDArray value) {
        NDArray old = parameter(name);
        if (!old.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("shape " + value.getShape() + " for " + name + ", expected " + old.getShape());
        }
        value.attach(manager);
        parameters.put(name, value);
        old.close();
    }

    private void putChecked(String name, NDArray weight, Shape shape) {
        if (!weight.getShape().equals(shape)) {
            throw new IllegalArgumentException("weight " + name + " has shape " + weight.getShape() + ", expected " + shape);
        }
        weight.attach(manager);
        parameters.put(name, weight);
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Something added to a linear projection's output, computed from its input (LoRA). */
    public interface LinearAdapter {
        NDArray apply(NDArray input);
    }
}
