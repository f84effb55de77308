package dev.rlhf.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.WeightsDtype;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hugging Face Llama-family model directories: {@code config.json}, {@code model.safetensors} (or
 * shards listed in {@code model.safetensors.index.json}) and {@code tokenizer.json}.
 *
 * <p>Hugging Face stores q/k projections with rotary pairs split into halves of each head
 * (rotate_half), where llama2.c and this model pair consecutive dimensions; the rows are permuted
 * on load and back on save, exactly inverting {@code convert_llama_weights_to_hf.py}'s permute.
 */
public final class HuggingFaceCheckpoint {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final List<String> SUPPORTED_TYPES = List.of("llama", "mistral", "qwen2", "qwen3");

    private HuggingFaceCheckpoint() {}

    public static boolean isHuggingFaceDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG))
                && (Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(WEIGHTS_INDEX)));
    }

    /**
     * The model config of a Hugging Face {@code config.json}: Llama (2, 3, 3.1/3.2 with llama3 rope
     * scaling; SmolLM2), Mistral, Qwen2/2.5 and Qwen3. Anything this decoder would compute wrongly
     * is refused with one line naming the field.
     */
    public static LlamaConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        JsonNode c = readJson(file);
        for (String experts : List.of("num_experts", "num_local_experts", "n_routed_experts")) {
            if (c.path(experts).asInt(0) > 0) {
                throw new CheckpointException(file + ": " + experts + " " + c.get(experts).asInt()
                        + ": mixture-of-experts models are not supported");
            }
        }
        String type = c.path("model_type").asString("");
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new CheckpointException(file + ": model_type '" + type + "' is not supported (expected one of "
                    + String.join(", ", SUPPORTED_TYPES) + ")");
        }
        String activation = c.path("hidden_act").asString("silu");
        if (!activation.equals("silu")) {
            throw new CheckpointException(file + ": hidden_act '" + activation + "' is not supported (expected silu)");
        }
        if (c.path("mlp_bias").asBoolean(false)) {
            throw new CheckpointException(file + ": mlp_bias true is not supported");
        }
        if (c.path("use_sliding_window").asBoolean(false)) {
            throw new CheckpointException(file + ": use_sliding_window true (sliding-window attention) is not supported");
        }
        int heads = required(c, "num_attention_heads", file);
        int dim = required(c, "hidden_size", file);
        int maxPositions = c.path("max_position_embeddings").asInt(2048);
        if (type.equals("mistral") && c.path("sliding_window").isNumber() && c.get("sliding_window").asInt() < maxPositions) {
            // Mistral attends within a window of sliding_window keys; up to that length it is plain
            // causal attention, so the context is capped there rather than computed wrongly beyond.
            maxPositions = c.get("sliding_window").asInt();
        }
        JsonNode headDimNode = c.path("head_dim");
        // Qwen3Config defaults head_dim to 128; the others derive it from the width.
        int headDim = headDimNode.isNumber() ? headDimNode.asInt() : type.equals("qwen3") ? 128 : dim / heads;
        boolean attentionBias = c.path("attention_bias").asBoolean(false);
        // Qwen2 always has q/k/v biases and no o_proj bias; Llama, Mistral and Qwen3 follow attention_bias for all four.
        boolean qkvBias = type.equals("qwen2") || attentionBias;
        boolean outputBias = !type.equals("qwen2") && attentionBias;
        try {
            return new LlamaConfig(dim, required(c, "intermediate_size", file), required(c, "num_hidden_layers", file),
                    heads, c.path("num_key_value_heads").asInt(heads), required(c, "vocab_size", file), maxPositions,
                    (float) c.path("rms_norm_eps").asDouble(1e-6), // HF LlamaConfig's default
                    (float) c.path("rope_theta").asDouble(LlamaConfig.DEFAULT_ROPE_THETA),
                    c.path("tie_word_embeddings").asBoolean(false), headDim, qkvBias, outputBias,
                    type.equals("qwen3"), ropeScaling(c.path("rope_scaling"), file));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@code rope_scaling}: null or type {@code default} is plain RoPE; {@code llama3} is Llama 3.1's; others are refused. */
    private static LlamaConfig.Llama3RopeScaling ropeScaling(JsonNode scaling, Path file) {
        if (scaling.isMissingNode() || scaling.isNull()) {
            return null;
        }
        String ropeType = scaling.path("rope_type").asString(scaling.path("type").asString(""));
        if (ropeType.equals("default")) {
            return null;
        }
        if (!ropeType.equals("llama3")) {
            throw new CheckpointException(file + ": rope_scaling.rope_type '" + ropeType
                    + "' is not supported (expected llama3 or default)");
        }
        for (String field : List.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")) {
            if (!scaling.path(field).isNumber()) {
                throw new CheckpointException(file + ": rope_scaling." + field + " is missing (needed by llama3 scaling)");
            }
        }
        return new LlamaConfig.Llama3RopeScaling((float) scaling.get("factor").asDouble(),
                (float) scaling.get("low_freq_factor").asDouble(), (float) scaling.get("high_freq_factor").asDouble(),
                scaling.get("original_max_position_embeddings").asInt());
    }

    /** Loads the model and its tokenizer.json. */
    public static LoadedModel load(Path dir, Device device) throws IOException {
        LlamaConfig config = readConfig(dir);
        LlamaModel model = loadModel(dir, config, device);
        try {
            JsonNode c = readJson(dir.resolve(CONFIG));
            Path tokenizerFile = dir.resolve(HuggingFaceTextTokenizer.FILE_NAME);
            if (!Files.isRegularFile(tokenizerFile)) {
                throw new CheckpointException(dir + ": no " + HuggingFaceTextTokenizer.FILE_NAME);
            }
            TextTokenizer tokenizer = HuggingFaceTextTokenizer.load(tokenizerFile, c.path("bos_token_id").asInt(1),
                    firstInt(c.path("eos_token_id"), 2), config.vocabSize());
            return new LoadedModel(model, tokenizer);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static LlamaModel loadModel(Path dir, LlamaConfig config, Device device) throws IOException {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            List<SafetensorsFiles.Entry> entries = new ArrayList<>();
            for (Path file : weightFiles(dir)) {
                entries.addAll(SafetensorsFiles.entries(file));
                weights.putAll(SafetensorsFiles.read(file, manager));
            }
            // Buffers some exports include.
            weights.keySet().removeIf(name -> name.endsWith("rotary_emb.inv_freq"));
            if (config.tiedEmbeddings()) {
                // Tied weights are stored once, under either name (TinyStories-656K keeps only lm_head.weight).
                NDArray head = weights.remove(LlamaModel.OUTPUT_HEAD);
                if (!weights.containsKey(LlamaModel.EMBEDDING) && head != null) {
                    weights.put(LlamaModel.EMBEDDING, head);
                } else if (head != null) {
                    head.close();
                }
            }
            toModelLayout(weights, config, true);
            LlamaModel model = new LlamaModel(config, manager, orderedLikeModel(config, weights));
            model.saveAs(SafetensorsFiles.dtypeOf(entries));
            return model;
        } catch (IllegalArgumentException e) {
            manager.close();
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Weights in the model's order (unknown names last, for the model to reject by name). */
    private static Map<String, NDArray> orderedLikeModel(LlamaConfig config, Map<String, NDArray> weights) {
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (String name : LlamaModel.expectedShapes(config).keySet()) {
            if (weights.containsKey(name)) {
                ordered.put(name, weights.get(name));
            }
        }
        weights.forEach(ordered::putIfAbsent);
        return ordered;
    }

    /**
     * Everything that lies along a q or k head's dimensions (projection rows, biases, Qwen3's q/k
     * norm weights) between Hugging Face's half-split layout and the model's consecutive pairs.
     */
    private static void toModelLayout(Map<String, NDArray> weights, LlamaConfig c, boolean toPairs) {
        for (int i = 0; i < c.nLayers(); i++) {
            LlamaModel.Block block = LlamaModel.Block.of(i, c);
            permute(weights, block.q().weight(), c.nHeads(), toPairs);
            permute(weights, block.k().weight(), c.nKvHeads(), toPairs);
            permute(weights, block.q().bias(), c.nHeads(), toPairs);
            permute(weights, block.k().bias(), c.nKvHeads(), toPairs);
            permute(weights, block.qNorm(), 1, toPairs);
            permute(weights, block.kNorm(), 1, toPairs);
        }
    }

    /**
     * Writes {@code model} as a Hugging Face directory of its family (the value head, if any, is left
     * out: it is not part of {@code *ForCausalLM}), in the model's {@link LlamaModel#savedDtype()}. A
     * llama2.c tokenizer is converted to tokenizer.json.
     */
    public static void save(LlamaModel model, TextTokenizer tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        LlamaConfig c = model.config();
        WeightsDtype dtype = model.savedDtype();
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG).toFile(), configJson(c, tokenizer, dtype));
        try (NDManager scratch = model.manager().newSubManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (!e.getKey().startsWith("value_head.")) {
                    weights.put(e.getKey(), e.getValue().get(scratch, new NDIndex("...")));
                }
            }
            toModelLayout(weights, c, false);
            SafetensorsFiles.write(dir.resolve(WEIGHTS), weights, dtype);
        }
        if (tokenizer instanceof Llama2cTokenizer llama2c) {
            Files.writeString(dir.resolve(HuggingFaceTextTokenizer.FILE_NAME), llama2c.toHuggingFaceJson());
        } else {
            tokenizer.saveTo(dir);
        }
    }

    /** config.json of the family whose options {@code c} uses: qwen3 (q/k norm), qwen2 (q/k/v bias only) or llama. */
    private static ObjectNode configJson(LlamaConfig c, TextTokenizer tokenizer, WeightsDtype dtype) {
        String type = c.qkNorm() ? "qwen3" : c.qkvBias() && !c.outputBias() ? "qwen2" : "llama";
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add(switch (type) {
            case "qwen3" -> "Qwen3ForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "LlamaForCausalLM";
        });
        config.put("model_type", type);
        config.put("hidden_size", c.dim());
        config.put("intermediate_size", c.hiddenDim());
        config.put("num_hidden_layers", c.nLayers());
        config.put("num_attention_heads", c.nHeads());
        config.put("num_key_value_heads", c.nKvHeads());
        config.put("head_dim", c.headDim());
        config.put("vocab_size", c.vocabSize());
        config.put("max_position_embeddings", c.maxSeqLen());
        config.put("rms_norm_eps", (double) c.normEps());
        config.put("rope_theta", (double) c.ropeTheta());
        if (c.ropeScaling() != null) {
            ObjectNode scaling = config.putObject("rope_scaling");
            scaling.put("rope_type", "llama3");
            scaling.put("factor", (double) c.ropeScaling().factor());
            scaling.put("low_freq_factor", (double) c.ropeScaling().lowFreqFactor());
            scaling.put("high_freq_factor", (double) c.ropeScaling().highFreqFactor());
            scaling.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositions());
        } else {
            config.putNull("rope_scaling");
        }
        if (!type.equals("qwen2")) {
            config.put("attention_bias", c.qkvBias());
        }
        config.put("tie_word_embeddings", c.tiedEmbeddings());
        config.put("hidden_act", "silu");
        config.put("bos_token_id", tokenizer.bosId());
        config.put("eos_token_id", tokenizer.eosId());
        config.put("torch_dtype", dtype.torchName());
        return config;
    }

    /**
     * Rows of a q/k projection [heads * headDim, dim] (or a bias [heads * headDim], or a norm weight
     * [headDim] with {@code heads} 1): half-split (HF) to consecutive pairs when {@code toPairs}, else back.
     */
    private static void permute(Map<String, NDArray> weights, String name, int heads, boolean toPairs) {
        NDArray w = name == null ? null : weights.get(name); // null name: the config has no such weight
        if (w == null) {
            return; // reported as missing (or unexpected) by the model's shape check
        }
        Shape original = w.getShape();
        long rows = original.get(0);
        long cols = original.dimension() > 1 ? original.get(1) : 1;
        long half = rows / heads / 2;
        NDArray permuted = toPairs
                ? w.reshape(heads, 2, half, cols).transpose(0, 2, 1, 3).reshape(original)
                : w.reshape(heads, half, 2, cols).transpose(0, 2, 1, 3).reshape(original);
        w.close(); // the permuted copy owns its own storage
        weights.put(name, permuted);
    }

    private static Set<Path> weightFiles(Path dir) throws IOException {
        Set<Path> files = new LinkedHashSet<>();
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
            files.add(dir.resolve(WEIGHTS));
            return files;
        }
        JsonNode index = readJson(dir.resolve(WEIGHTS_INDEX));
        for (Map.Entry<String, JsonNode> entry : index.path("weight_map").properties()) {
            files.add(dir.resolve(entry.getValue().asString()));
        }
        if (files.isEmpty()) {
            throw new CheckpointException(dir.resolve(WEIGHTS_INDEX) + ": empty weight_map");
        }
        return files;
    }

    private static int required(JsonNode config, String field, Path file) {
        JsonNode value = config.get(field);
        if (value == null || !value.isNumber()) {
            throw new CheckpointException(file + ": missing number '" + field + "'");
        }
        return value.asInt();
    }

    private static int firstInt(JsonNode node, int fallback) {
        if (node.isArray() && !node.isEmpty()) {
            return node.get(0).asInt(fallback);
        }
        return node.isNumber() ? node.asInt() : fallback;
    }

    static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": not found");
        }
        try {
            return JSON.readTree(file);
        } catch (JacksonException e) {
            throw new CheckpointException(file + ": invalid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }
}
