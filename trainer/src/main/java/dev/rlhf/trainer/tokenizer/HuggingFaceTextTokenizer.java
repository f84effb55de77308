package dev.rlhf.trainer.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.rlhf.trainer.chat.ChatTemplate;
import dev.rlhf.trainer.chat.JinjaChatTemplate;
import dev.rlhf.trainer.chat.PlainChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Hugging Face {@code tokenizer.json}, run by DJL's bindings to the Rust tokenizers library, with
 * what the files beside it say about special tokens and prompts:
 * <ul>
 *   <li>{@code tokenizer_config.json}: the chat template ({@code chat_template}, or a
 *       {@code chat_template.jinja} file) and the special tokens {@code bos_token}, {@code eos_token},
 *       {@code pad_token}, {@code unk_token}; its {@code eos_token} is the token that closes an
 *       assistant turn (Qwen's {@code <|im_end|>}, Llama 3 instruct's {@code <|eot_id|>});</li>
 *   <li>{@code config.json} and {@code generation_config.json}: {@code eos_token_id} (a number or a
 *       list); generation stops at any of them and at the turn's end token.</li>
 * </ul>
 * Without a chat template the model gets the {@link PlainChatTemplate}. Text is encoded without the
 * tokenizer's own post-processing (no special tokens added); special tokens written in the text
 * ({@code <|im_start|>}) encode to their ids, as in transformers.
 */
public final class HuggingFaceTextTokenizer implements TextTokenizer, AutoCloseable {

    public static final String FILE_NAME = "tokenizer.json";
    public static final String CONFIG_FILE = "tokenizer_config.json";
    public static final String TEMPLATE_FILE = "chat_template.jinja";
    public static final String GENERATION_CONFIG = "generation_config.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path source;
    private final HuggingFaceTokenizer tokenizer;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final Set<Integer> stopIds;
    private final int vocabSize;
    private final ChatTemplate chatTemplate;

    private HuggingFaceTextTokenizer(Path source, HuggingFaceTokenizer tokenizer, int bosId, int eosId, int padId,
                                     Set<Integer> stopIds, int vocabSize, ChatTemplate chatTemplate) {
        this.source = source;
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.eosId = eosId;
        this.padId = padId;
        this.stopIds = Set.copyOf(stopIds);
        this.vocabSize = vocabSize;
        this.chatTemplate = chatTemplate;
    }

    /**
     * Loads {@code file} and reads the tokenizer_config.json, chat_template.jinja, config.json and
     * generation_config.json beside it, where present.
     *
     * @param file      a tokenizer.json
     * @param bosId     the model's BOS id (from its config.json)
     * @param eosId     the model's EOS id, used when tokenizer_config.json names no single-token eos_token
     * @param vocabSize the model's vocabulary size
     */
    public static HuggingFaceTextTokenizer load(Path file, int bosId, int eosId, int vocabSize) throws IOException {
        // No truncation or padding: the generator and trainers decide lengths themselves.
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file,
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        try {
            Path dir = file.toAbsolutePath().getParent();
            JsonNode config = readOptional(dir.resolve(CONFIG_FILE));
            Map<String, String> special = new LinkedHashMap<>();
            for (String name : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                String token = tokenText(config.get(name));
                if (token != null) {
                    special.put(name, token);
                }
            }
            int turnEnd = singleId(tokenizer, special.get("eos_token"), eosId);
            Set<Integer> stops = new LinkedHashSet<>();
            stops.add(turnEnd);
            stops.add(eosId);
            ints(readOptional(dir.resolve("config.json")).get("eos_token_id"), stops);
            JsonNode generation = readOptional(dir.resolve(GENERATION_CONFIG));
            ints(generation.get("eos_token_id"), stops);
            int padId = singleId(tokenizer, special.get("pad_token"), generation.path("pad_token_id").asInt(turnEnd));
            String template = templateSource(dir, config);
            ChatTemplate chat = template == null ? PlainChatTemplate.INSTANCE : new JinjaChatTemplate(template, special);
            return new HuggingFaceTextTokenizer(file, tokenizer, bosId, turnEnd, padId, stops, vocabSize, chat);
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** {@code chat_template.jinja}, else tokenizer_config.json's {@code chat_template} (a string, or named templates: "default"). */
    private static String templateSource(Path dir, JsonNode config) throws IOException {
        Path file = dir.resolve(TEMPLATE_FILE);
        if (Files.isRegularFile(file)) {
            return Files.readString(file);
        }
        JsonNode template = config.get("chat_template");
        if (template == null || template.isNull()) {
            return null;
        }
        if (template.isString()) {
            return template.asString();
        }
        if (template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asString(""))) {
                    return named.path("template").asString();
                }
            }
        }
        throw new IOException(dir.resolve(CONFIG_FILE) + ": chat_template is neither a string nor a list with a \"default\" template");
    }

    /** A special token as tokenizer_config.json writes it: a string or an AddedToken object {"content": ...}. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isString()) {
            return node.asString();
        }
        JsonNode content = node.get("content");
        return content != null && content.isString() ? content.asString() : null;
    }

    private static int singleId(HuggingFaceTokenizer tokenizer, String token, int fallback) {
        if (token == null || token.isEmpty()) {
            return fallback;
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? (int) ids[0] : fallback;
    }

    private static void ints(JsonNode node, Set<Integer> into) {
        if (node == null) {
            return;
        }
        if (node.isNumber()) {
            into.add(node.asInt());
        } else if (node.isArray()) {
            node.forEach(n -> {
                if (n.isNumber()) {
                    into.add(n.asInt());
                }
            });
        }
    }

    private static JsonNode readOptional(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(file);
        } catch (JacksonException e) {
            throw new IOException(file + ": invalid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        long[] ids = text.isEmpty() ? new long[0] : tokenizer.encode(text, false, false).getIds();
        int offset = addBos ? 1 : 0;
        int[] out = new int[ids.length + offset];
        if (addBos) {
            out[0] = bosId;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, int previousId) {
        if (previousId < 0) {
            return tokenizer.decode(toLongs(ids, -1), true);
        }
        // Decode with the previous token and cut its text off, so spacing matches the whole sequence.
        String before = tokenizer.decode(new long[] {previousId}, true);
        String all = tokenizer.decode(toLongs(ids, previousId), true);
        return all.startsWith(before) ? all.substring(before.length()) : tokenizer.decode(toLongs(ids, -1), true);
    }

    private static long[] toLongs(int[] ids, int previousId) {
        int offset = previousId >= 0 ? 1 : 0;
        long[] out = new long[ids.length + offset];
        if (previousId >= 0) {
            out[0] = previousId;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = ids[i];
        }
        return out;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    /** The token that closes a turn: tokenizer_config.json's eos_token, else config.json's (first) eos_token_id. */
    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int padId() {
        return padId;
    }

    /** The end-of-turn token and every eos_token_id of config.json and generation_config.json. */
    @Override
    public Set<Integer> stopTokenIds() {
        return stopIds;
    }

    @Override
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** tokenizer.json, and tokenizer_config.json, chat_template.jinja and generation_config.json when they came with it. */
    @Override
    public void saveTo(Path directory) throws IOException {
        Files.copy(source, directory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
        Path dir = source.toAbsolutePath().getParent();
        for (String name : List.of(CONFIG_FILE, TEMPLATE_FILE, GENERATION_CONFIG)) {
            Path file = dir.resolve(name);
            Path target = directory.resolve(name);
            if (Files.isRegularFile(file) && !Files.exists(target)) {
                Files.copy(file, target);
            }
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
