package dev.rlhf.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The project's own checkpoint directory: {@code rlhf-model.json} (format, model config,
 * tokenizer kind, free-form metadata), {@code model.safetensors} in this model's layout (value
 * head included) and the tokenizer's own file. Written to a temporary sibling directory and
 * renamed into place, so a reader never sees a half-written checkpoint.
 */
public final class ModelCheckpoint {

    public static final String MANIFEST = "rlhf-model.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String FORMAT = "rlhf-llama";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private ModelCheckpoint() {}

    public static boolean isCheckpointDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /** Writes a checkpoint atomically; an existing one at {@code dir} is replaced. */
    public static void save(LlamaModel model, TextTokenizer tokenizer, Path dir, Map<String, String> metadata)
            throws IOException {
        AtomicDirectory.write(dir, temp -> writeInto(model, tokenizer, temp, metadata));
    }

    /** Writes a checkpoint into an existing directory (not atomic: for composing larger atomic writes). */
    public static void writeInto(LlamaModel model, TextTokenizer tokenizer, Path dir, Map<String, String> metadata)
            throws IOException {
        LlamaConfig c = model.config();
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", FORMAT);
        manifest.put("version", VERSION);
        ObjectNode config = manifest.putObject("config");
        config.put("dim", c.dim());
        config.put("hiddenDim", c.hiddenDim());
        config.put("nLayers", c.nLayers());
        config.put("nHeads", c.nHeads());
        config.put("nKvHeads", c.nKvHeads());
        config.put("vocabSize", c.vocabSize());
        config.put("maxSeqLen", c.maxSeqLen());
        config.put("normEps", c.normEps());
        config.put("ropeTheta", c.ropeTheta());
        config.put("tiedEmbeddings", c.tiedEmbeddings());
        config.put("headDim", c.headDim());
        config.put("qkvBias", c.qkvBias());
        config.put("outputBias", c.outputBias());
        config.put("qkNorm", c.qkNorm());
        if (c.ropeScaling() != null) {
            ObjectNode scaling = config.putObject("llama3RopeScaling");
            scaling.put("factor", c.ropeScaling().factor());
            scaling.put("lowFreqFactor", c.ropeScaling().lowFreqFactor());
            scaling.put("highFreqFactor", c.ropeScaling().highFreqFactor());
            scaling.put("originalMaxPositions", c.ropeScaling().originalMaxPositions());
        }
        manifest.put("valueHead", model.hasValueHead());
        // The dtype the weights came in (or --save-dtype), so a trained model keeps its source's precision.
        manifest.put("weightsDtype", model.savedDtype().torchName());
        ObjectNode tok = manifest.putObject("tokenizer");
        tok.put("kind", tokenizer instanceof Llama2cTokenizer ? "llama2c" : "huggingface");
        tok.put("bosId", tokenizer.bosId());
        tok.put("eosId", tokenizer.eosId());
        ObjectNode meta = manifest.putObject("metadata");
        metadata.forEach(meta::put);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MANIFEST).toFile(), manifest);
        SafetensorsFiles.write(dir.resolve(WEIGHTS), new LinkedHashMap<>(model.parameters()), model.savedDtype());
        tokenizer.saveTo(dir);
    }

    public static LoadedModel load(Path dir, Device device) throws IOException {
        JsonNode manifest = HuggingFaceCheckpoint.readJson(dir.resolve(MANIFEST));
        if (!FORMAT.equals(manifest.path("format").asString(""))) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": format is not '" + FORMAT + "'");
        }
        if (manifest.path("version").asInt(-1) > VERSION) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": version " + manifest.path("version").asInt()
                    + " is newer than this trainer reads (" + VERSION + ")");
        }
        JsonNode c = manifest.path("config");
        LlamaConfig config;
        WeightsDtype dtype;
        try {
            JsonNode scaling = c.path("llama3RopeScaling");
            int nHeads = c.path("nHeads").asInt();
            // Fields after tiedEmbeddings were added later; their defaults are what older checkpoints computed.
            config = new LlamaConfig(c.path("dim").asInt(), c.path("hiddenDim").asInt(), c.path("nLayers").asInt(),
                    nHeads, c.path("nKvHeads").asInt(), c.path("vocabSize").asInt(),
                    c.path("maxSeqLen").asInt(), (float) c.path("normEps").asDouble(LlamaConfig.DEFAULT_NORM_EPS),
                    (float) c.path("ropeTheta").asDouble(LlamaConfig.DEFAULT_ROPE_THETA),
                    c.path("tiedEmbeddings").asBoolean(),
                    c.path("headDim").asInt(nHeads > 0 ? c.path("dim").asInt() / nHeads : 0),
                    c.path("qkvBias").asBoolean(false), c.path("outputBias").asBoolean(false),
                    c.path("qkNorm").asBoolean(false),
                    scaling.isObject() ? new LlamaConfig.Llama3RopeScaling((float) scaling.path("factor").asDouble(),
                            (float) scaling.path("lowFreqFactor").asDouble(), (float) scaling.path("highFreqFactor").asDouble(),
                            scaling.path("originalMaxPositions").asInt()) : null);
            dtype = WeightsDtype.parse(manifest.path("weightsDtype").asString("float32"));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
        NDManager manager = NDManager.newBaseManager(device);
        LlamaModel model;
        try {
            Map<String, NDArray> weights = SafetensorsFiles.read(dir.resolve(WEIGHTS), manager);
            model = new LlamaModel(config, manager, weights);
            model.saveAs(dtype);
        } catch (IllegalArgumentException e) {
            manager.close();
            throw new CheckpointException(dir.resolve(WEIGHTS) + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
        try {
            JsonNode tok = manifest.path("tokenizer");
            TextTokenizer tokenizer = "llama2c".equals(tok.path("kind").asString(""))
                    ? Llama2cTokenizer.load(dir.resolve(Llama2cTokenizer.FILE_NAME), config.vocabSize())
                    : HuggingFaceTextTokenizer.load(dir.resolve(HuggingFaceTextTokenizer.FILE_NAME),
                            tok.path("bosId").asInt(1), tok.path("eosId").asInt(2), config.vocabSize());
            return new LoadedModel(model, tokenizer);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The free-form metadata saved with a checkpoint. */
    public static Map<String, String> readMetadata(Path dir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : HuggingFaceCheckpoint.readJson(dir.resolve(MANIFEST)).path("metadata").properties()) {
            out.put(e.getKey(), e.getValue().asString());
        }
        return out;
    }
}
