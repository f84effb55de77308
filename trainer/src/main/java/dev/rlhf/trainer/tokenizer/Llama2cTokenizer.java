package dev.rlhf.trainer.tokenizer;

import dev.rlhf.trainer.checkpoint.CheckpointException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's {@code tokenizer.bin}: a SentencePiece BPE vocabulary exported as
 * {@code int32 max_token_length}, then per id {@code float32 score, int32 length, bytes}.
 * Encoding follows llama2.c's {@code encode()}: BOS, a dummy-prefix space, one id per UTF-8
 * character (or byte-fallback ids {@code 3 + byte}), then greedy merges of the adjacent pair whose
 * merged piece has the highest score.
 */
public final class Llama2cTokenizer implements TextTokenizer {

    public static final String FILE_NAME = "tokenizer.bin";
    private static final int UNK = 0;
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int BYTE_FALLBACK_OFFSET = 3;

    private final Path source;
    private final byte[][] pieces;
    private final float[] scores;
    /** Pieces as ISO-8859-1 strings (one char per byte), so lookup works on raw bytes. */
    private final Map<String, Integer> idsByPiece = new HashMap<>();

    private Llama2cTokenizer(Path source, byte[][] pieces, float[] scores) {
        this.source = source;
        this.pieces = pieces;
        this.scores = scores;
        for (int id = 0; id < pieces.length; id++) {
            idsByPiece.putIfAbsent(latin1(pieces[id]), id);
        }
    }

    /** Reads a tokenizer.bin whose vocabulary size the model's config gives. */
    public static Llama2cTokenizer load(Path file, int vocabSize) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[][] pieces = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        try {
            in.getInt(); // max_token_length, only a buffer-size hint for C
            for (int id = 0; id < vocabSize; id++) {
                scores[id] = in.getFloat();
                int length = in.getInt();
                if (length < 0 || length > in.remaining()) {
                    throw new CheckpointException(file + ": token " + id + " has a bad length " + length);
                }
                pieces[id] = new byte[length];
                in.get(pieces[id]);
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new CheckpointException(file + ": ends before token " + vocabSize + " (is it a llama2.c tokenizer.bin for this model?)");
        }
        return new Llama2cTokenizer(file, pieces, scores);
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> ids = new ArrayList<>();
        if (addBos) {
            ids.add(BOS);
        }
        if (!text.isEmpty()) {
            Integer dummyPrefix = idsByPiece.get(" ");
            if (dummyPrefix != null) {
                ids.add(dummyPrefix);
            }
        }
        text.codePoints().forEach(codePoint -> {
            byte[] utf8 = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
            Integer id = idsByPiece.get(latin1(utf8));
            if (id != null) {
                ids.add(id);
            } else {
                for (byte b : utf8) {
                    ids.add((b & 0xff) + BYTE_FALLBACK_OFFSET);
                }
            }
        });
        mergeBestPairs(ids);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Repeatedly merges the adjacent pair whose concatenation is the best-scoring vocabulary piece,
     * the leftmost on ties, exactly as llama2.c; a priority queue over a linked list makes it
     * O(n log n) instead of llama2.c's O(n^2), which matters for long documents.
     */
    private void mergeBestPairs(List<Integer> ids) {
        int n = ids.size();
        int[] token = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            token[i] = ids.get(i);
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        java.util.PriorityQueue<Candidate> queue = new java.util.PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, token, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            if (!alive[c.left] || !alive[c.right] || next[c.left] != c.right
                    || token[c.left] != c.leftToken || token[c.right] != c.rightToken) {
                continue; // stale: one side was merged since this pair was queued
            }
            token[c.left] = c.merged;
            alive[c.right] = false;
            next[c.left] = next[c.right];
            if (next[c.right] >= 0) {
                prev[next[c.right]] = c.left;
            }
            if (prev[c.left] >= 0) {
                offer(queue, token, prev[c.left], c.left);
            }
            if (next[c.left] >= 0) {
                offer(queue, token, c.left, next[c.left]);
            }
        }
        ids.clear();
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            ids.add(token[i]);
        }
    }

    private void offer(java.util.PriorityQueue<Candidate> queue, int[] token, int left, int right) {
        int merged = mergedId(token[left], token[right]);
        if (merged >= 0) {
            queue.add(new Candidate(scores[merged], left, right, token[left], token[right], merged));
        }
    }

    private final Map<Long, Integer> mergeCache = new java.util.concurrent.ConcurrentHashMap<>();

    /** The id of the piece spelling {@code left + right}, or -1. */
    private int mergedId(int left, int right) {
        return mergeCache.computeIfAbsent(((long) left << 32) | right, key -> {
            Integer id = idsByPiece.get(latin1(pieces[left]) + latin1(pieces[right]));
            return id == null ? -1 : id;
        });
    }

    /** A mergeable adjacent pair: best score first, then leftmost. */
    private record Candidate(float score, int left, int right, int leftToken, int rightToken, int merged)
            implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            int byScore = Float.compare(o.score, score);
            return byScore != 0 ? byScore : Integer.compare(left, o.left);
        }
    }

    @Override
    public String decode(int[] ids, int previousId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int previous = previousId;
        for (int id : ids) {
            if (id == BOS || id == EOS) {
                previous = id;
                continue;
            }
            byte[] piece = pieces[id];
            int offset = 0;
            if (previous == BOS && piece.length > 0 && piece[0] == ' ') {
                offset = 1; // SentencePiece's dummy prefix is not part of the text
            }
            int fallbackByte = byteFallback(piece);
            if (fallbackByte >= 0) {
                out.write(fallbackByte);
            } else {
                out.write(piece, offset, piece.length - offset);
            }
            previous = id;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException(e); // cannot happen with REPLACE
        }
    }

    /** The byte of a {@code <0xNN>} piece, or -1. */
    private static int byteFallback(byte[] piece) {
        if (piece.length == 6 && piece[0] == '<' && piece[1] == '0' && piece[2] == 'x' && piece[5] == '>') {
            try {
                return Integer.parseInt(new String(piece, 3, 2, StandardCharsets.US_ASCII), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** The raw piece of an id (with its leading space, if any), for inspection and tests. */
    public String piece(int id) {
        return new String(pieces[id], StandardCharsets.UTF_8);
    }

    public float score(int id) {
        return scores[id];
    }

    @Override
    public int bosId() {
        return BOS;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    /**
     * EOS and BOS: llama2.c models are trained on BOS-delimited stories and end one by starting the
     * next, so llama2.c's {@code run.c} stops on BOS.
     */
    @Override
    public java.util.Set<Integer> stopTokenIds() {
        return java.util.Set.of(EOS, BOS);
    }

    public int unknownId() {
        return UNK;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public void saveTo(Path directory) throws IOException {
        Files.copy(source, directory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * This vocabulary as a Hugging Face {@code tokenizer.json} (SentencePiece BPE with byte
     * fallback, as Llama 2's): spaces become U+2581, merges are listed in order of the merged
     * piece's score, as Hugging Face's SentencePiece converter does.
     */
    public String toHuggingFaceJson() {
        String[] tokens = new String[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            tokens[id] = switch (id) {
                case UNK -> "<unk>";
                case BOS -> "<s>";
                case EOS -> "</s>";
                default -> piece(id).replace(' ', '\u2581');
            };
        }
        Map<String, Integer> vocab = new java.util.LinkedHashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            vocab.putIfAbsent(tokens[id], id);
        }
        Integer[] byScore = new Integer[pieces.length];
        for (int id = 0; id < byScore.length; id++) {
            byScore[id] = id;
        }
        java.util.Arrays.sort(byScore, (a, b) -> Float.compare(scores[b], scores[a])); // stable: ties by id
        List<String> merges = new ArrayList<>();
        for (int id : byScore) {
            if (id <= EOS || byteFallback(pieces[id]) >= 0) {
                continue;
            }
            String merged = tokens[id];
            int[] codePoints = merged.codePoints().toArray();
            List<int[]> splits = new ArrayList<>();
            for (int cut = 1; cut < codePoints.length; cut++) {
                String left = new String(codePoints, 0, cut);
                String right = new String(codePoints, cut, codePoints.length - cut);
                if (vocab.containsKey(left) && vocab.containsKey(right)) {
                    splits.add(new int[] {vocab.get(left), vocab.get(right)});
                }
            }
            splits.sort(java.util.Comparator.<int[]>comparingInt(x -> x[0]).thenComparingInt(x -> x[1]));
            for (int[] split : splits) {
                merges.add(tokens[split[0]] + " " + tokens[split[1]]);
            }
        }
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        var added = root.putArray("added_tokens");
        for (int id = 0; id <= EOS; id++) {
            var t = added.addObject();
            t.put("id", id).put("content", tokens[id]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        var normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        var normalizers = normalizer.putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "\u2581");
        var replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        var post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        var single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        var pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        var special = post.putObject("special_tokens").putObject("<s>");
        special.put("id", "<s>");
        special.putArray("ids").add(BOS);
        special.putArray("tokens").add("<s>");
        var decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        var decoders = decoder.putArray("decoders");
        var space = decoders.addObject().put("type", "Replace");
        space.putObject("pattern").put("String", "\u2581");
        space.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        var model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        var vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        var mergeNode = model.putArray("merges");
        merges.forEach(mergeNode::add);
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
