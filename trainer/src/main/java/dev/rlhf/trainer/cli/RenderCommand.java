package dev.rlhf.trainer.cli;

import ai.djl.Device;
import dev.rlhf.trainer.align.data.JsonLines;
import dev.rlhf.trainer.chat.ChatMessage;
import dev.rlhf.trainer.chat.ModelTemplates;
import dev.rlhf.trainer.chat.PromptLines;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.tokenizer.HuggingFaceTextTokenizer;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code render --model M --data FILE}: each {@code {"messages": [...], "add_generation_prompt": true|false,
 * "template_kwargs": {...}}} line rendered by the model's chat template, printed as {@code {"text", "token_ids"}}:
 * the exact string and the ids the trainer feeds the model for it. A Hugging Face model is read from its
 * tokenizer files only (no weights), so any family whose tokenizer DJL reads can be checked.
 */
@Command(name = "render", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Render conversations with the model's chat template; prints {\"text\", \"token_ids\"} per line.")
public class RenderCommand implements Callable<Integer> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "PATH",
            description = "JSONL of {\"messages\": [...], \"add_generation_prompt\": true|false, \"template_kwargs\": {...}} lines.")
    Path data;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(data)) {
            throw new BadInputException("--data " + data + ": file not found");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Tokenizer tok = tokenizer()) {
            try {
                JsonLines.forEach(data, "--data " + data, node -> {
                    List<ChatMessage> messages = ChatMessage.parse(node.get("messages"), "messages");
                    JsonNode generation = node.get("add_generation_prompt");
                    if (generation != null && !generation.isBoolean()) {
                        throw new IllegalArgumentException("\"add_generation_prompt\" must be true or false");
                    }
                    return tok.tokenizer().chatTemplate().render(messages, generation != null && generation.asBoolean(),
                            PromptLines.templateKwargs(node));
                }, text -> {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("text", text);
                    result.put("token_ids", tok.tokenizer().encode(text));
                    out.println(JSON.writeValueAsString(result));
                });
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        out.flush();
        return 0;
    }

    /** The tokenizer alone where it is a tokenizer.json; else the (llama2.c) model with its tokenizer. */
    private Tokenizer tokenizer() throws IOException {
        Path json = ModelTemplates.tokenizerJson(modelOptions.model, modelOptions.tokenizer);
        if (json == null) {
            LoadedModel loaded = modelOptions.load(Device.cpu());
            return new Tokenizer(loaded.tokenizer(), loaded);
        }
        try {
            JsonNode config = Files.isRegularFile(json.resolveSibling("config.json"))
                    ? JSON.readTree(json.resolveSibling("config.json").toFile()) : JSON.createObjectNode();
            JsonNode eos = config.path("eos_token_id");
            HuggingFaceTextTokenizer t = HuggingFaceTextTokenizer.load(json, config.path("bos_token_id").asInt(1),
                    eos.isArray() && !eos.isEmpty() ? eos.get(0).asInt(2) : eos.asInt(2), config.path("vocab_size").asInt(0));
            return new Tokenizer(t, t);
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("--model " + modelOptions.model + ": cannot read its tokenizer: " + e.getMessage(), e);
        }
    }

    private record Tokenizer(TextTokenizer tokenizer, AutoCloseable owner) implements AutoCloseable {
        @Override
        public void close() {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
