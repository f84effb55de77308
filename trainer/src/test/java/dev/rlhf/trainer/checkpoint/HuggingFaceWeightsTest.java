package dev.rlhf.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlhf.trainer.SharedData;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.WeightsDtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weights I/O on the Hugging Face fixtures: bf16 files survive load-save-load bit for bit (through
 * the Hugging Face layout and the project's own checkpoint), sharded directories load, float16 and
 * --save-dtype conversions, and configs this decoder would compute wrongly are refused in one line.
 */
class HuggingFaceWeightsTest {

    @TempDir
    Path temp;

    static Path fixture(String name) {
        return SharedData.dir().resolve("data/models").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-qwen2", "tiny-random-qwen3"})
    void bf16WeightsRoundTripBitForBit(String name) throws Exception {
        Path original = fixture(name).resolve("model.safetensors");
        try (LoadedModel loaded = ModelLoader.load(fixture(name), null, Device.cpu())) {
            assertThat(loaded.model().savedDtype()).isEqualTo(WeightsDtype.BF16);
            Path hf = temp.resolve("hf");
            HuggingFaceCheckpoint.save(loaded.model(), loaded.tokenizer(), hf);
            assertThat(tensorBytes(hf.resolve("model.safetensors"))).isEqualTo(tensorBytes(original));
            assertThat(Files.readString(hf.resolve("config.json"))).contains("\"torch_dtype\" : \"bfloat16\"");

            // The project's checkpoint keeps the dtype, and a model loaded from it saves bf16 again.
            Path own = temp.resolve("own");
            ModelCheckpoint.save(loaded.model(), loaded.tokenizer(), own, Map.of());
            assertThat(Files.readString(own.resolve(ModelCheckpoint.MANIFEST))).contains("\"weightsDtype\" : \"bfloat16\"");
            try (LoadedModel resumed = ModelLoader.load(own, null, Device.cpu())) {
                assertThat(resumed.model().savedDtype()).isEqualTo(WeightsDtype.BF16);
                assertThat(resumed.model().config()).isEqualTo(loaded.model().config());
                Path again = temp.resolve("again");
                HuggingFaceCheckpoint.save(resumed.model(), resumed.tokenizer(), again);
                assertThat(tensorBytes(again.resolve("model.safetensors"))).isEqualTo(tensorBytes(original));
            }
        }
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws Exception {
        Path source = fixture("tiny-random-llama3");
        Path sharded = temp.resolve("sharded");
        Files.createDirectories(sharded);
        for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(source.resolve(file), sharded.resolve(file));
        }
        StringBuilder weightMap = new StringBuilder();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> all = SafetensorsFiles.read(source.resolve("model.safetensors"), manager);
            Map<String, NDArray> first = new LinkedHashMap<>();
            Map<String, NDArray> second = new LinkedHashMap<>();
            all.forEach((name, array) -> (name.contains("layers.1.") || name.startsWith("lm_head") ? second : first).put(name, array));
            SafetensorsFiles.write(sharded.resolve("model-00001-of-00002.safetensors"), first);
            SafetensorsFiles.write(sharded.resolve("model-00002-of-00002.safetensors"), second);
            first.keySet().forEach(n -> weightMap.append(",\"").append(n).append("\":\"model-00001-of-00002.safetensors\""));
            second.keySet().forEach(n -> weightMap.append(",\"").append(n).append("\":\"model-00002-of-00002.safetensors\""));
        }
        Files.writeString(sharded.resolve(HuggingFaceCheckpoint.WEIGHTS_INDEX),
                "{\"metadata\":{},\"weight_map\":{" + weightMap.substring(1) + "}}");
        int[] prompt = {1, 80, 147, 201, 282};
        try (LoadedModel single = ModelLoader.load(source, null, Device.cpu());
             LoadedModel fromShards = ModelLoader.load(sharded, null, Device.cpu())) {
            assertThat(lastLogits(fromShards.model(), prompt)).containsExactly(lastLogits(single.model(), prompt));
        }
    }

    @Test
    void saveDtypeConvertsAndFloat16ReadsBack() throws Exception {
        try (LoadedModel loaded = ModelLoader.load(fixture("tiny-random-qwen3"), null, Device.cpu())) {
            // bf16 -> f32 is exact; f32 -> bf16 gives back the original bits.
            loaded.model().saveAs(WeightsDtype.F32);
            Path f32 = temp.resolve("f32");
            HuggingFaceCheckpoint.save(loaded.model(), loaded.tokenizer(), f32);
            assertThat(SafetensorsFiles.dtypeOf(SafetensorsFiles.entries(f32.resolve("model.safetensors")))).isEqualTo(WeightsDtype.F32);
            try (LoadedModel wide = ModelLoader.load(f32, null, Device.cpu())) {
                wide.model().saveAs(WeightsDtype.BF16);
                Path bf16 = temp.resolve("bf16");
                HuggingFaceCheckpoint.save(wide.model(), wide.tokenizer(), bf16);
                assertThat(tensorBytes(bf16.resolve("model.safetensors")))
                        .isEqualTo(tensorBytes(fixture("tiny-random-qwen3").resolve("model.safetensors")));
            }
            // f16 holds every bf16 value of these small weights' range to within its 11-bit mantissa.
            loaded.model().saveAs(WeightsDtype.F16);
            Path f16 = temp.resolve("f16");
            HuggingFaceCheckpoint.save(loaded.model(), loaded.tokenizer(), f16);
            try (LoadedModel half = ModelLoader.load(f16, null, Device.cpu())) {
                assertThat(half.model().savedDtype()).isEqualTo(WeightsDtype.F16);
                int[] prompt = {151644, 872, 198, 9707};
                float[] expected = lastLogits(loaded.model(), prompt);
                assertThat(lastLogits(half.model(), prompt)).containsExactly(expected, org.assertj.core.api.Assertions.within(1e-3f));
            }
        }
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertThat(WeightsDtype.toBfloat16(1.0f)).isEqualTo((short) 0x3F80);
        assertThat(WeightsDtype.toBfloat16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80); // tie -> even
        assertThat(WeightsDtype.toBfloat16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82); // tie -> even
        assertThat(WeightsDtype.toBfloat16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
        assertThat(WeightsDtype.fromBfloat16((short) 0xC049)).isEqualTo(-3.140625f);
        assertThat(Float.isNaN(WeightsDtype.fromBfloat16(WeightsDtype.toBfloat16(Float.NaN)))).isTrue();
    }

    @Test
    void unsupportedConfigsAreRefusedInOneLineNamingTheField() throws Exception {
        String qwen2 = Files.readString(fixture("tiny-random-qwen2").resolve("config.json"));
        String llama3 = Files.readString(fixture("tiny-random-llama3").resolve("config.json"));
        assertRefused(qwen2.replace("\"use_sliding_window\": false", "\"use_sliding_window\": true"), "use_sliding_window");
        assertRefused(qwen2.replace("\"model_type\": \"qwen2\"", "\"model_type\": \"gemma\""), "model_type 'gemma'");
        assertRefused(qwen2.replace("\"vocab_size\"", "\"num_experts\": 8, \"vocab_size\""), "num_experts");
        assertRefused(llama3.replace("\"llama3\"", "\"yarn\""), "rope_scaling.rope_type 'yarn'");
        assertRefused(llama3.replace("\"mlp_bias\": false", "\"mlp_bias\": true"), "mlp_bias");
        assertRefused(llama3.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\""), "hidden_act 'gelu'");
        assertRefused(llama3.replace("\"low_freq_factor\": 1.0,", ""), "rope_scaling.low_freq_factor");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-random-qwen2", "tiny-random-qwen3", "tiny-random-llama3", "tinystories-656k-hf"})
    void parameterCountIsWhatTheFileHolds(String name) throws Exception {
        long stored = SafetensorsFiles.entries(fixture(name).resolve("model.safetensors")).stream()
                .mapToLong(e -> e.shape().size()).sum();
        assertThat(HuggingFaceCheckpoint.readConfig(fixture(name)).parameterCount()).isEqualTo(stored);
    }

    /** The parameter counts behind trainer/README.md's memory table, from the models' published config.json values. */
    @Test
    void parameterCountsOfTheReadmeMemoryTable() {
        var qwen25 = new dev.rlhf.trainer.model.LlamaConfig(896, 4864, 24, 14, 2, 151936, 32768, 1e-6f, 1e6f, true, 64,
                true, false, false, null);
        var qwen3 = new dev.rlhf.trainer.model.LlamaConfig(1024, 3072, 28, 16, 8, 151936, 40960, 1e-6f, 1e6f, true, 128,
                false, false, true, null);
        var llama32 = new dev.rlhf.trainer.model.LlamaConfig(2048, 8192, 16, 32, 8, 128256, 131072, 1e-5f, 5e5f, true, 64,
                false, false, false, new dev.rlhf.trainer.model.LlamaConfig.Llama3RopeScaling(32f, 1f, 4f, 8192));
        assertThat(qwen25.parameterCount()).isEqualTo(494_032_768L);
        assertThat(qwen3.parameterCount()).isEqualTo(596_049_920L);
        assertThat(llama32.parameterCount()).isEqualTo(1_235_814_400L);
    }

    @Test
    void mistralSlidingWindowCapsTheContextAndPlainLlamaHasNoExtras() throws Exception {
        String llama3 = Files.readString(fixture("tiny-random-llama3").resolve("config.json"));
        Path mistral = Files.createTempDirectory(temp, "mistral");
        Files.writeString(mistral.resolve("config.json"), llama3.replace("\"model_type\": \"llama\"",
                "\"model_type\": \"mistral\", \"sliding_window\": 256").replaceAll("\"rope_scaling\": \\{[^}]*\\}", "\"rope_scaling\": null"));
        var config = HuggingFaceCheckpoint.readConfig(mistral);
        assertThat(config.maxSeqLen()).isEqualTo(256);
        assertThat(config.ropeScaling()).isNull();
        Path smol = Files.createTempDirectory(temp, "plain"); // SmolLM2 and TinyStories: model_type llama, nothing else
        Files.writeString(smol.resolve("config.json"), Files.readString(fixture("tinystories-656k-hf").resolve("config.json")));
        var plain = HuggingFaceCheckpoint.readConfig(smol);
        assertThat(plain.qkvBias() || plain.outputBias() || plain.qkNorm()).isFalse();
        assertThat(plain.headDim()).isEqualTo(16);
    }

    private void assertRefused(String config, String field) throws IOException {
        Path dir = Files.createTempDirectory(temp, "config");
        Files.writeString(dir.resolve("config.json"), config);
        assertThatThrownBy(() -> HuggingFaceCheckpoint.readConfig(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(field)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static float[] lastLogits(LlamaModel model, int[] prompt) {
        try (NDManager step = model.manager().newSubManager()) {
            return model.forward(step.create(prompt).reshape(1, prompt.length)).get("0, -1, :").toFloatArray();
        }
    }

    /** Each tensor's raw data bytes by name (header layout and order aside). */
    private static Map<String, ByteBuffer> tensorBytes(Path file) throws IOException {
        Map<String, ByteBuffer> out = new LinkedHashMap<>();
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(length, 0);
            long dataStart = 8 + length.flip().getLong();
            for (SafetensorsFiles.Entry e : SafetensorsFiles.entries(file)) {
                ByteBuffer bytes = ByteBuffer.allocate((int) (e.end() - e.begin()));
                channel.read(bytes, dataStart + e.begin());
                out.put(e.name(), bytes.flip());
            }
        }
        return new java.util.TreeMap<>(out);
    }
}
