package dev.rlhf.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rlhf.trainer.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trainer convert}: llama2.c to Hugging Face to project checkpoint, generating the same text throughout. */
class ConvertCommandTest {

    @TempDir
    Path temp;

    @Test
    void convertedModelsGenerateTheSameGreedyCompletion() {
        String model = SharedData.stories260kModel().toString();
        String tokenizer = SharedData.stories260kTokenizer().toString();
        Path hf = temp.resolve("hf");
        Path checkpoint = temp.resolve("ckpt");
        assertThat(GenerateCommandTest.run("convert", "--model", model, "--tokenizer", tokenizer, "--out", hf.toString()).code()).isZero();
        assertThat(GenerateCommandTest.run("convert", "--model", hf.toString(), "--out", checkpoint.toString(),
                "--format", "checkpoint").code()).isZero();
        String[] greedy = {"--prompt", "Once upon a time, a dog", "--temperature", "0", "--max-new-tokens", "20"};
        String original = generate(greedy, "--model", model, "--tokenizer", tokenizer);
        assertThat(generate(greedy, "--model", hf.toString())).isEqualTo(original);
        assertThat(generate(greedy, "--model", checkpoint.toString())).isEqualTo(original);
        assertThat(GenerateCommandTest.run("convert", "--model", model, "--out", hf.toString(), "--format", "onnx").code())
                .isEqualTo(2);
    }

    private static String generate(String[] options, String... model) {
        String[] args = new String[1 + model.length + options.length];
        args[0] = "generate";
        System.arraycopy(model, 0, args, 1, model.length);
        System.arraycopy(options, 0, args, 1 + model.length, options.length);
        GenerateCommandTest.Result r = GenerateCommandTest.run(args);
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }
}
