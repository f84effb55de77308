package dev.rlhf.trainer.generation;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.Llama2cCheckpoint;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.tokenizer.Llama2cTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs {@code rounds} greedy generations of {@code tokens} tokens and prints the process's resident
 * memory after each: run in a fresh JVM with a pre-touched fixed heap, so RSS growth is native memory.
 */
public final class MemoryFootprintProbe {

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path tokenizer = Path.of(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int tokens = Integer.parseInt(args[3]);
        try (LlamaModel llama = Llama2cCheckpoint.load(model, Device.cpu())) {
            Generator generator = new Generator(new LlamaLanguageModel(llama),
                    Llama2cTokenizer.load(tokenizer, llama.config().vocabSize()));
            GenerationConfig config = GenerationConfig.greedy(tokens).withStopAtEos(false);
            for (int round = 0; round < rounds; round++) {
                generator.generate(List.of(""), config);
                System.out.println("rss " + residentKib());
            }
        }
    }

    static long residentKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
