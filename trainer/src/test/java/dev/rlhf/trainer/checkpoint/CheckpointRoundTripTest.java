package dev.rlhf.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.generation.Generator;
import dev.rlhf.trainer.generation.LlamaLanguageModel;
import dev.rlhf.trainer.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stories260K through the Hugging Face layout and the project's own checkpoint format, and back. */
class CheckpointRoundTripTest {

    static final String DOG = "Once upon a time, a dog";
    static LoadedModel original;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() throws Exception {
        original = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu());
    }

    @AfterAll
    static void close() {
        original.close();
    }

    @Test
    void huggingFaceLayoutRoundTripGivesIdenticalLogitsAndTokens() throws Exception {
        Path hf = temp.resolve("stories260K-hf");
        HuggingFaceCheckpoint.save(original.model(), original.tokenizer(), hf);
        assertThat(hf.resolve("config.json")).exists();
        assertThat(hf.resolve("model.safetensors")).exists();
        assertThat(hf.resolve("tokenizer.json")).exists();
        assertThat(Files.readString(hf.resolve("config.json"))).contains("\"model_type\" : \"llama\"", "\"num_key_value_heads\" : 4");

        // The stored q projection is in Hugging Face's half-split layout, not llama2.c's.
        try (LoadedModel converted = ModelLoader.load(hf, null, Device.cpu())) {
            assertThat(logits(converted.model(), new int[] {1, 403, 407, 261, 378, 432, 261, 400, 428}))
                    .containsExactly(logits(original.model(), new int[] {1, 403, 407, 261, 378, 432, 261, 400, 428}));
            // tokenizer.json through DJL's Hugging Face tokenizers encodes like tokenizer.bin.
            for (String text : List.of("", DOG, "Lily and Ben went to the park. They saw a big dog!")) {
                assertThat(converted.tokenizer().encode(text)).as(text).containsExactly(original.tokenizer().encode(text));
            }
            var sample = new Generator(new LlamaLanguageModel(converted.model()), converted.tokenizer())
                    .generate(List.of(DOG), GenerationConfig.greedy(32)).getFirst();
            var reference = new Generator(new LlamaLanguageModel(original.model()), original.tokenizer())
                    .generate(List.of(DOG), GenerationConfig.greedy(32)).getFirst();
            assertThat(sample.tokenIds()).containsExactly(reference.tokenIds());
            assertThat(sample.completion()).isEqualTo(reference.completion());

            // And back: HF -> own checkpoint -> HF gives the same bytes of weights.
            Path again = temp.resolve("again-hf");
            HuggingFaceCheckpoint.save(converted.model(), original.tokenizer(), again);
            assertThat(Files.mismatch(hf.resolve("model.safetensors"), again.resolve("model.safetensors"))).isEqualTo(-1L);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> stored = SafetensorsFiles.read(hf.resolve("model.safetensors"), m);
            NDArray q = stored.get(LlamaModel.layer(0, "self_attn.q_proj.weight"));
            assertThat(q.toFloatArray()).isNotEqualTo(
                    original.model().parameter(LlamaModel.layer(0, "self_attn.q_proj.weight")).toFloatArray());
        }
    }

    @Test
    void ownCheckpointRoundTripKeepsWeightsValueHeadTokenizerAndMetadata() throws Exception {
        Path dir = temp.resolve("ckpt");
        try (LoadedModel copy = ModelLoader.load(SharedData.stories260kModel(), SharedData.stories260kTokenizer(), Device.cpu())) {
            copy.model().addValueHead();
            copy.model().parameter(LlamaModel.VALUE_HEAD_BIAS).set(new float[] {0.25f});
            ModelCheckpoint.save(copy.model(), copy.tokenizer(), dir, Map.of("step", "7"));
            ModelCheckpoint.save(copy.model(), copy.tokenizer(), dir, Map.of("step", "8")); // replaces
        }
        assertThat(ModelCheckpoint.readMetadata(dir)).containsEntry("step", "8");
        try (Stream<Path> siblings = Files.list(temp)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("ckpt"); // no temp dirs left
        }
        try (LoadedModel loaded = ModelLoader.load(dir, null, Device.cpu())) {
            assertThat(loaded.model().hasValueHead()).isTrue();
            assertThat(loaded.model().parameter(LlamaModel.VALUE_HEAD_BIAS).toFloatArray()).containsExactly(0.25f);
            assertThat(logits(loaded.model(), new int[] {1, 403, 407})).containsExactly(logits(original.model(), new int[] {1, 403, 407}));
            assertThat(loaded.tokenizer().encode(DOG)).containsExactly(original.tokenizer().encode(DOG));
        }
    }

    @Test
    void unreadableModelsAreReportedByFileName() throws Exception {
        Path empty = Files.createDirectory(temp.resolve("empty"));
        assertThatThrownBy(() -> ModelLoader.load(empty, null, Device.cpu()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(empty.toString());
        Path truncated = temp.resolve("short.bin");
        Files.write(truncated, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> ModelLoader.load(truncated, SharedData.stories260kTokenizer(), Device.cpu()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("short.bin");
        Path notLlama = Files.createDirectory(temp.resolve("gpt2"));
        Files.writeString(notLlama.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        Files.write(notLlama.resolve("model.safetensors"), new byte[8]);
        assertThatThrownBy(() -> ModelLoader.load(notLlama, null, Device.cpu()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("gpt2");
    }

    static float[] logits(LlamaModel model, int[] tokens) {
        try (NDManager step = model.manager().newSubManager()) {
            return model.forward(step.create(tokens).reshape(1, tokens.length)).toFloatArray();
        }
    }
}
