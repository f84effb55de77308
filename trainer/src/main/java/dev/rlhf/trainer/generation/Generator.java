package dev.rlhf.trainer.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.rlhf.trainer.generation.GeneratedSample.FinishReason;
import dev.rlhf.trainer.model.NativeThreads;
import dev.rlhf.trainer.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Turns prompts into completions: sampling (greedy, temperature, top-k, top-p, penalties) or beam
 * search, with every prompt's K samples as rows of one batch. Sampling chooses each step's tokens
 * on the model's device ({@link TokenChooser}) and copies only them to Java; beam search ranks
 * whole rows on the host. Small work (a small model's few rows) runs on the calling thread alone
 * ({@link LanguageModel#decodesFasterOnOneThread}).
 */
public final class Generator {

    private final LanguageModel model;
    private final TextTokenizer tokenizer;
    private final java.util.Set<Integer> stopTokens;

    public Generator(LanguageModel model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopTokens = tokenizer.stopTokenIds();
    }

    /** {@code config.numSamples()} completions per prompt, grouped by prompt in prompt order. */
    public List<GeneratedSample> generate(List<String> prompts, GenerationConfig config) {
        List<int[]> ids = prompts.stream().map(tokenizer::encode).toList();
        return generate(prompts, ids, config);
    }

    /** As {@link #generate(List, GenerationConfig)} for prompts already tokenized (BOS included). */
    public List<GeneratedSample> generate(List<String> prompts, List<int[]> promptIds, GenerationConfig config) {
        if (prompts.isEmpty()) {
            return List.of();
        }
        int longest = promptIds.stream().mapToInt(p -> p.length).max().orElseThrow();
        if (promptIds.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("a prompt encodes to no tokens; prompts need at least BOS");
        }
        if (longest >= model.maxSequenceLength()) {
            throw new IllegalArgumentException("a prompt of " + longest + " tokens leaves no room in the model's context of "
                    + model.maxSequenceLength() + " tokens");
        }
        int maxNew = Math.min(config.maxNewTokens(), model.maxSequenceLength() - longest);
        int rows = prompts.size() * Math.max(config.numBeams(), config.numSamples());
        Supplier<List<GeneratedSample>> decode = () -> config.numBeams() > 1
                ? beamSearch(prompts, promptIds, config, longest, maxNew)
                : sample(prompts, promptIds, config, longest, maxNew);
        // Without the cache every step recomputes whole rows: not the small work the check is about.
        return config.useKvCache() && model.decodesFasterOnOneThread(rows) ? NativeThreads.onOneThread(decode) : decode.get();
    }

    // ---------------------------------------------------------------- sampling

    private List<GeneratedSample> sample(List<String> prompts, List<int[]> promptIds, GenerationConfig config,
                                         int longest, int maxNew) {
        int k = config.numSamples();
        int rows = prompts.size() * k;
        int[][] rowPrompts = new int[rows][];
        RowState[] states = new RowState[rows];
        SplittableRandom seeds = new SplittableRandom(config.seed() != null ? config.seed() : System.nanoTime());
        for (int row = 0; row < rows; row++) {
            rowPrompts[row] = promptIds.get(row / k);
            states[row] = new RowState(rowPrompts[row], seeds.split());
        }
        if (maxNew > 0) {
            TokenChooser chooser = new TokenChooser(config);
            boolean penalised = config.repetitionPenalty() != 1f || config.noRepeatNgramSize() > 0;
            try (DecodingSession session = model.openSession(longest + maxNew, config.useKvCache())) {
                NDArray logits = session.prefill(rowPrompts);
                for (int t = 0; t < maxNew; t++) {
                    int[][] contexts = new int[rows][];
                    double[] uniforms = new double[rows];
                    for (int row = 0; row < rows; row++) {
                        RowState state = states[row];
                        if (state.finish == null) {
                            contexts[row] = penalised ? state.context() : null;
                            uniforms[row] = config.isGreedy() ? 0 : state.random.nextDouble();
                        }
                    }
                    TokenChooser.Choices choices = chooser.choose(logits, contexts, uniforms);
                    int[] next = new int[rows];
                    boolean anyRunning = false;
                    for (int row = 0; row < rows; row++) {
                        RowState state = states[row];
                        if (state.finish != null) {
                            next[row] = tokenizer.eosId(); // a placeholder; the row's output is final
                            continue;
                        }
                        next[row] = choices.tokens()[row];
                        state.add(next[row], choices.logprobs()[row]);
                        checkFinished(state, config);
                        anyRunning |= state.finish == null;
                    }
                    if (!anyRunning || t == maxNew - 1) {
                        break;
                    }
                    logits = session.step(next);
                }
            }
        }
        List<GeneratedSample> samples = new ArrayList<>(rows);
        for (int row = 0; row < rows; row++) {
            samples.add(states[row].toSample(row / k, prompts.get(row / k)));
        }
        return samples;
    }

    private void checkFinished(RowState state, GenerationConfig config) {
        if (config.stopAtEos() && stopTokens.contains(state.lastToken())) {
            state.finish = FinishReason.EOS;
            return;
        }
        if (!config.stopStrings().isEmpty()) {
            String text = state.text();
            int cut = firstStop(text, config.stopStrings());
            if (cut >= 0) {
                state.finish = FinishReason.STOP_STRING;
                state.completion = text.substring(0, cut);
            }
        }
    }

    private static int firstStop(String text, List<String> stops) {
        int cut = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut;
    }

    /** One row's progress. */
    private final class RowState {
        final int[] prompt;
        final SplittableRandom random;
        int[] tokens = new int[16];
        float[] logprobs = new float[16];
        int length;
        FinishReason finish;
        String completion;

        RowState(int[] prompt, SplittableRandom random) {
            this.prompt = prompt;
            this.random = random;
        }

        void add(int token, float logprob) {
            if (length == tokens.length) {
                tokens = Arrays.copyOf(tokens, length * 2);
                logprobs = Arrays.copyOf(logprobs, length * 2);
            }
            tokens[length] = token;
            logprobs[length] = logprob;
            length++;
        }

        int lastToken() {
            return tokens[length - 1];
        }

        int[] generated() {
            return Arrays.copyOf(tokens, length);
        }

        int[] context() {
            int[] all = Arrays.copyOf(prompt, prompt.length + length);
            System.arraycopy(tokens, 0, all, prompt.length, length);
            return all;
        }

        String text() {
            int[] ids = generated();
            if (finish == FinishReason.EOS) {
                ids = Arrays.copyOf(ids, ids.length - 1);
            }
            return tokenizer.decode(ids, prompt[prompt.length - 1]);
        }

        GeneratedSample toSample(int promptIndex, String promptText) {
            String text = completion != null ? completion : text();
            return new GeneratedSample(promptIndex, promptText, text, generated(), Arrays.copyOf(logprobs, length),
                    finish != null ? finish : FinishReason.LENGTH);
        }
    }

    // ---------------------------------------------------------------- beam search

    private List<GeneratedSample> beamSearch(List<String> prompts, List<int[]> promptIds, GenerationConfig config,
                                             int longest, int maxNew) {
        int width = config.numBeams();
        int promptCount = prompts.size();
        int rows = promptCount * width;
        int[][] rowPrompts = new int[rows][];
        Beam[] beams = new Beam[rows];
        for (int row = 0; row < rows; row++) {
            rowPrompts[row] = promptIds.get(row / width);
            // Only the first beam is live at the start, so the first step picks distinct tokens.
            beams[row] = new Beam(new int[0], new float[0], row % width == 0 ? 0 : Double.NEGATIVE_INFINITY);
        }
        List<List<Hypothesis>> finished = new ArrayList<>();
        boolean[] done = new boolean[promptCount];
        for (int p = 0; p < promptCount; p++) {
            finished.add(new ArrayList<>());
        }
        if (maxNew > 0) {
            try (DecodingSession session = model.openSession(longest + maxNew, config.useKvCache())) {
                float[][] logits = hostRows(session.prefill(rowPrompts));
                for (int t = 0; t < maxNew; t++) {
                    int[] sources = new int[rows];
                    int[] next = new int[rows];
                    Beam[] nextBeams = new Beam[rows];
                    for (int p = 0; p < promptCount; p++) {
                        if (done[p]) {
                            for (int b = 0; b < width; b++) {
                                int row = p * width + b;
                                sources[row] = row;
                                next[row] = tokenizer.eosId();
                                nextBeams[row] = beams[row];
                            }
                            continue;
                        }
                        advancePrompt(p, width, t, beams, logits, rowPrompts, config, finished.get(p),
                                sources, next, nextBeams);
                        done[p] = isDone(finished.get(p), nextBeams[p * width], t + 1, width, config);
                    }
                    beams = nextBeams;
                    boolean allDone = true;
                    for (boolean d : done) {
                        allDone &= d;
                    }
                    if (allDone || t == maxNew - 1) {
                        break;
                    }
                    session.reorder(sources);
                    logits = hostRows(session.step(next));
                }
            }
        }
        List<GeneratedSample> samples = new ArrayList<>();
        for (int p = 0; p < promptCount; p++) {
            List<Hypothesis> hyps = finished.get(p);
            if (!done[p]) {
                for (int b = 0; b < width; b++) {
                    Beam beam = beams[p * width + b];
                    if (beam.score > Double.NEGATIVE_INFINITY) {
                        hyps.add(new Hypothesis(beam, normalise(beam.score, beam.tokens.length, config),
                                FinishReason.LENGTH, null));
                    }
                }
            }
            hyps.sort(Comparator.comparingDouble((Hypothesis h) -> -h.normalisedScore));
            int[] prompt = promptIds.get(p);
            for (Hypothesis h : hyps.subList(0, Math.min(config.numSamples(), hyps.size()))) {
                int[] ids = h.beam.tokens;
                String text = h.completion != null ? h.completion
                        : tokenizer.decode(h.finish == FinishReason.EOS ? Arrays.copyOf(ids, ids.length - 1) : ids,
                                prompt[prompt.length - 1]);
                samples.add(new GeneratedSample(p, prompts.get(p), text, ids, h.beam.logprobs, h.finish));
            }
        }
        return samples;
    }

    /** Extends one prompt's beams by one token: the best {@code width} continuations, finished ones set aside. */
    private void advancePrompt(int p, int width, int t, Beam[] beams, float[][] logits, int[][] rowPrompts,
                               GenerationConfig config, List<Hypothesis> finished,
                               int[] sources, int[] next, Beam[] nextBeams) {
        // The 2 * width best (beam, token) pairs: enough that width survive even if all others end.
        PriorityQueue<Candidate> best = new PriorityQueue<>(Comparator.comparingDouble(Candidate::score));
        for (int b = 0; b < width; b++) {
            int row = p * width + b;
            if (beams[row].score == Double.NEGATIVE_INFINITY) {
                continue;
            }
            float[] processed = logits[row].clone();
            int[] context = concat(rowPrompts[row], beams[row].tokens);
            LogitsProcessing.applyRepetitionPenalty(processed, context, config.repetitionPenalty());
            LogitsProcessing.banRepeatedNgrams(processed, context, config.noRepeatNgramSize());
            double[] logp = LogitsProcessing.logSoftmax(processed);
            for (int v = 0; v < logp.length; v++) {
                double score = beams[row].score + logp[v];
                if (score == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                if (best.size() < 2 * width) {
                    best.add(new Candidate(row, v, score));
                } else if (score > best.peek().score()) {
                    best.poll();
                    best.add(new Candidate(row, v, score));
                }
            }
        }
        List<Candidate> ranked = new ArrayList<>(best);
        ranked.sort(Comparator.comparingDouble((Candidate c) -> -c.score()).thenComparingInt(Candidate::token));
        int filled = 0;
        for (int rank = 0; rank < ranked.size() && filled < width; rank++) {
            Candidate c = ranked.get(rank);
            Beam source = beams[c.row()];
            Beam extended = source.extend(c.token(), LogitsProcessing.logSoftmaxAt(logits[c.row()], c.token()), c.score());
            int[] prompt = rowPrompts[c.row()];
            if (config.stopAtEos() && stopTokens.contains(c.token())) {
                if (rank < width) { // as Hugging Face: an ending outside the top width is not a real candidate
                    finished.add(new Hypothesis(extended, normalise(c.score(), extended.tokens.length, config),
                            FinishReason.EOS, null));
                }
                continue;
            }
            if (!config.stopStrings().isEmpty()) {
                String text = tokenizer.decode(extended.tokens, prompt[prompt.length - 1]);
                int cut = firstStop(text, config.stopStrings());
                if (cut >= 0) {
                    finished.add(new Hypothesis(extended, normalise(c.score(), extended.tokens.length, config),
                            FinishReason.STOP_STRING, text.substring(0, cut)));
                    continue;
                }
            }
            int row = p * width + filled;
            sources[row] = c.row();
            next[row] = c.token();
            nextBeams[row] = extended;
            filled++;
        }
        for (; filled < width; filled++) { // fewer live candidates than beams: pad with dead beams
            int row = p * width + filled;
            sources[row] = p * width;
            next[row] = tokenizer.eosId();
            nextBeams[row] = new Beam(beams[p * width].tokens, beams[p * width].logprobs, Double.NEGATIVE_INFINITY);
        }
    }

    /** A prompt is done when its width best endings beat anything the best live beam can still reach. */
    private static boolean isDone(List<Hypothesis> finished, Beam bestLive, int length, int width, GenerationConfig config) {
        if (finished.size() < width) {
            return false;
        }
        if (bestLive.score == Double.NEGATIVE_INFINITY) {
            return true;
        }
        double worstKept = finished.stream().mapToDouble(h -> h.normalisedScore).sorted()
                .skip(finished.size() - width).findFirst().orElseThrow();
        return worstKept >= normalise(bestLive.score, length, config);
    }

    private static double normalise(double score, int length, GenerationConfig config) {
        return score / Math.pow(Math.max(length, 1), config.lengthPenalty());
    }

    /** Beam search ranks whole rows of log-probabilities, which it does on the host. */
    private static float[][] hostRows(NDArray logits) {
        float[] flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
        int rows = (int) logits.getShape().get(0);
        int vocab = (int) logits.getShape().get(1);
        float[][] out = new float[rows][];
        for (int row = 0; row < rows; row++) {
            out[row] = Arrays.copyOfRange(flat, row * vocab, (row + 1) * vocab);
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private record Candidate(int row, int token, double score) {}

    private record Beam(int[] tokens, float[] logprobs, double score) {
        Beam extend(int token, float logprob, double newScore) {
            int[] t = Arrays.copyOf(tokens, tokens.length + 1);
            t[tokens.length] = token;
            float[] l = Arrays.copyOf(logprobs, logprobs.length + 1);
            l[logprobs.length] = logprob;
            return new Beam(t, l, newScore);
        }
    }

    private record Hypothesis(Beam beam, double normalisedScore, FinishReason finish, String completion) {}
}
