package dev.rlhf.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.checkpoint.AtomicDirectory;
import dev.rlhf.trainer.checkpoint.ModelCheckpoint;
import dev.rlhf.trainer.checkpoint.SafetensorsFiles;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A trainer's resumable state in one directory, written atomically (a crash leaves the previous
 * state whole): models ({@code <name>/}, full checkpoints), optimizer moments
 * ({@code <name>-optimizer.safetensors}), other tensors ({@code <name>.safetensors}) and
 * {@code trainer-state.json} with the seed, the counters, the optimizers' step counts and the data
 * cursors' positions. Restoring refuses a state saved with another seed, since every random choice
 * of the continued run derives from it.
 */
public final class ResumeState {

    public static final String STATE_JSON = "trainer-state.json";
    /** The layout's version; states of the trainers' earlier, separate layouts have none. */
    private static final int FORMAT = 2;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** What a trainer writes into its resume state. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Writer state) throws IOException;
    }

    /** Replaces {@code dir} with the state {@code contents} write, atomically. */
    public static void save(Path dir, long seed, Contents contents) throws IOException {
        AtomicDirectory.write(dir, temp -> {
            Writer writer = new Writer(temp);
            writer.json.put("format", FORMAT);
            writer.json.put("seed", seed);
            contents.writeTo(writer);
            Files.writeString(temp.resolve(STATE_JSON), writer.json.toPrettyString());
        });
    }

    /** The state in {@code dir}, or empty when there is none; fails when it was saved with another seed. */
    public static Optional<ResumeState> read(Path dir, long seed) throws IOException {
        if (!Files.isRegularFile(dir.resolve(STATE_JSON))) {
            return Optional.empty();
        }
        JsonNode json = JSON.readTree(dir.resolve(STATE_JSON));
        if (json.path("format").asInt() != FORMAT) {
            throw new IllegalArgumentException(dir + ": resume state of format " + json.path("format").asInt()
                    + ", this trainer reads format " + FORMAT + "; remove it to start afresh");
        }
        if (json.path("seed").asLong() != seed) {
            throw new IllegalArgumentException(dir + ": saved with seed " + json.path("seed").asLong()
                    + ", this run uses " + seed + "; resume needs the same seed");
        }
        return Optional.of(new ResumeState(dir, json));
    }

    /** Collects one state; the counters go to {@code trainer-state.json}. */
    public static final class Writer {
        private final Path dir;
        private final ObjectNode json = JSON.createObjectNode();

        private Writer(Path dir) {
            this.dir = dir;
        }

        /** The JSON object the trainer's own counters go into. */
        public ObjectNode counters() {
            return json;
        }

        public void value(String name, Object value) {
            json.set(name, JSON.valueToTree(value));
        }

        public void model(String name, LlamaModel model, TextTokenizer tokenizer, Map<String, String> metadata)
                throws IOException {
            ModelCheckpoint.writeInto(model, tokenizer, Files.createDirectories(dir.resolve(name)), metadata);
        }

        public void optimizer(String name, AdamW optimizer) throws IOException {
            SafetensorsFiles.write(dir.resolve(name + "-optimizer.safetensors"), optimizer.state());
            json.withObject("optimizerSteps").put(name, optimizer.steps());
        }

        public void cursor(String name, DataCursor<?> cursor) {
            DataCursor.Position p = cursor.position();
            ObjectNode node = json.withObject("cursors").putObject(name);
            node.put("epoch", p.epoch());
            node.put("index", p.index());
        }

        public void tensors(String name, Map<String, NDArray> tensors) throws IOException {
            SafetensorsFiles.write(dir.resolve(name + ".safetensors"), tensors);
        }

        /** Host arrays as tensors, created in a scratch manager under {@code parent}. */
        public void arrays(String name, Map<String, float[]> arrays, NDManager parent) throws IOException {
            try (NDManager scratch = parent.newSubManager()) {
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                arrays.forEach((key, values) -> tensors.put(key, scratch.create(values)));
                tensors(name, tensors);
            }
        }
    }

    private final Path dir;
    private final JsonNode json;

    private ResumeState(Path dir, JsonNode json) {
        this.dir = dir;
        this.json = json;
    }

    public Path directory() {
        return dir;
    }

    /** The trainer's counters as saved. */
    public JsonNode counters() {
        return json;
    }

    public <T> T value(String name, Class<T> type) {
        return JSON.treeToValue(json.path(name), type);
    }

    public void loadModel(String name, LlamaModel model) throws IOException {
        try (NDManager scratch = model.manager().newSubManager()) {
            loadWeights(model, dir.resolve(name).resolve(ModelCheckpoint.WEIGHTS), scratch);
        }
    }

    public void loadOptimizer(String name, AdamW optimizer, NDManager parent) throws IOException {
        try (NDManager scratch = parent.newSubManager()) {
            optimizer.load(SafetensorsFiles.read(dir.resolve(name + "-optimizer.safetensors"), scratch),
                    json.path("optimizerSteps").path(name).asInt());
        }
    }

    public void restoreCursor(String name, DataCursor<?> cursor) {
        JsonNode node = json.path("cursors").path(name);
        cursor.moveTo(new DataCursor.Position(node.path("epoch").asInt(), node.path("index").asInt()));
    }

    /** Copies the saved tensors {@code name} into the parameters of the same names, each of which must be saved. */
    public void loadTensors(String name, Map<String, NDArray> into, NDManager parent) throws IOException {
        try (NDManager scratch = parent.newSubManager()) {
            copy(SafetensorsFiles.read(dir.resolve(name + ".safetensors"), scratch), into, dir.resolve(name + ".safetensors"));
        }
    }

    /** The saved tensors {@code name} as host arrays. */
    public Map<String, float[]> arrays(String name, NDManager parent) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager scratch = parent.newSubManager()) {
            SafetensorsFiles.read(dir.resolve(name + ".safetensors"), scratch).forEach((key, a) -> out.put(key, a.toFloatArray()));
        }
        return out;
    }

    /** Sets every parameter of {@code model} from the safetensors {@code file}, which must hold them all. */
    public static void loadWeights(LlamaModel model, Path file, NDManager scratch) throws IOException {
        copy(SafetensorsFiles.read(file, scratch), model.parameters(), file);
    }

    private static void copy(Map<String, NDArray> saved, Map<String, NDArray> into, Path source) {
        for (Map.Entry<String, NDArray> e : into.entrySet()) {
            NDArray value = saved.get(e.getKey());
            if (value == null) {
                throw new IllegalArgumentException(source + ": checkpoint lacks " + e.getKey());
            }
            e.getValue().set(value.toFloatArray());
        }
    }
}
