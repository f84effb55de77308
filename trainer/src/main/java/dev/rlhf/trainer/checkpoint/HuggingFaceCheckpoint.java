package dev.rlhf.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
    private static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral");

    private HuggingFaceCheckpoint() {}

    public static boolean isHuggingFaceDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG))
                && (Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(WEIGHTS_INDEX)));
    }

    /** The model config of a Hugging Face {@code config.json} (Llama family only). */
    public static LlamaConfig readConfig(Path dir) throws IOException {
        JsonNode c = readJson(dir.resolve(CONFIG));
        String type = c.path("model_type").asString("");
        if (!LLAMA_FAMILY.contains(type)) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": model_type '" + type
                    + "' is not supported (expected one of " + LLAMA_FAMILY + ")");
        }
        if (c.has("rope_scaling") && !c.get("rope_scaling").isNull()) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": rope_scaling is not supported");
        }
        if (c.path("attention_bias").asBoolean(false) || c.path("mlp_bias").asBoolean(false)) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": attention or MLP biases are not supported");
        }
        int heads = required(c, "num_attention_heads", dir);
        int dim = required(c, "hidden_size", dir);
        if (c.has("head_dim") && !c.get("head_dim").isNull() && c.get("head_dim").asInt() != dim / heads) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": head_dim " + c.get("head_dim").asInt()
                    + " differs from hidden_size / num_attention_heads; not supported");
        }
        try {
            return new LlamaConfig(dim, required(c, "intermediate_size", dir), required(c, "num_hidden_layers", dir),
                    heads, c.path("num_key_value_heads").asInt(heads), required(c, "vocab_size", dir),
                    c.path("max_position_embeddings").asInt(2048),
                    (float) c.path("rms_norm_eps").asDouble(1e-6), // HF LlamaConfig's default
                    (float) c.path("rope_theta").asDouble(LlamaConfig.DEFAULT_ROPE_THETA),
                    c.path("tie_word_embeddings").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": " + e.getMessage(), e);
        }
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
            for (Path file : weightFiles(dir)) {
                weights.putAll(SafetensorsFiles.read(file, manager));
            }
            // Buffers some exports include, and a duplicate head when embeddings are tied.
            weights.keySet().removeIf(name -> name.endsWith("rotary_emb.inv_freq"));
            if (config.tiedEmbeddings()) {
                weights.remove(LlamaModel.OUTPUT_HEAD);
            }
            for (int i = 0; i < config.nLayers(); i++) {
                permute(weights, LlamaModel.layer(i, "self_attn.q_proj.weight"), config.nHeads(), true);
                permute(weights, LlamaModel.layer(i, "self_attn.k_proj.weight"), config.nKvHeads(), true);
            }
            return new LlamaModel(config, manager, weights);
        } catch (IllegalArgumentException e) {
            manager.close();
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Writes {@code model} as a Hugging Face Llama directory (the value head, if any, is left out:
     * it is not part of {@code LlamaForCausalLM}). A llama2.c tokenizer is converted to tokenizer.json.
     */
    public static void save(LlamaModel model, TextTokenizer tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        LlamaConfig c = model.config();
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("model_type", "llama");
        config.put("hidden_size", c.dim());
        config.put("intermediate_size", c.hiddenDim());
        config.put("num_hidden_layers", c.nLayers());
        config.put("num_attention_heads", c.nHeads());
        config.put("num_key_value_heads", c.nKvHeads());
        config.put("vocab_size", c.vocabSize());
        config.put("max_position_embeddings", c.maxSeqLen());
        config.put("rms_norm_eps", (double) c.normEps());
        config.put("rope_theta", (double) c.ropeTheta());
        config.put("tie_word_embeddings", c.tiedEmbeddings());
        config.put("hidden_act", "silu");
        config.put("bos_token_id", tokenizer.bosId());
        config.put("eos_token_id", tokenizer.eosId());
        config.put("torch_dtype", "float32");
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG).toFile(), config);

        try (NDManager scratch = model.manager().newSubManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (!e.getKey().startsWith("value_head.")) {
                    weights.put(e.getKey(), e.getValue().get(scratch, new NDIndex("...")));
                }
            }
            for (int i = 0; i < c.nLayers(); i++) {
                permute(weights, LlamaModel.layer(i, "self_attn.q_proj.weight"), c.nHeads(), false);
                permute(weights, LlamaModel.layer(i, "self_attn.k_proj.weight"), c.nKvHeads(), false);
            }
            SafetensorsFiles.write(dir.resolve(WEIGHTS), weights);
        }
        if (tokenizer instanceof Llama2cTokenizer llama2c) {
            Files.writeString(dir.resolve(HuggingFaceTextTokenizer.FILE_NAME), llama2c.toHuggingFaceJson());
        } else {
            tokenizer.saveTo(dir);
        }
    }

    /**
     * Rows of a q/k projection [heads * headDim, dim]: half-split (HF) to consecutive pairs when
     * {@code toPairs}, else back.
     */
    private static void permute(Map<String, NDArray> weights, String name, int heads, boolean toPairs) {
        NDArray w = weights.get(name);
        if (w == null) {
            return; // reported as missing by the model's shape check
        }
        long rows = w.getShape().get(0);
        long cols = w.getShape().get(1);
        long half = rows / heads / 2;
        NDArray permuted = toPairs
                ? w.reshape(heads, 2, half, cols).transpose(0, 2, 1, 3).reshape(rows, cols)
                : w.reshape(heads, half, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols);
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

    private static int required(JsonNode config, String field, Path dir) {
        JsonNode value = config.get(field);
        if (value == null || !value.isNumber()) {
            throw new CheckpointException(dir.resolve(CONFIG) + ": missing number '" + field + "'");
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
